namespace ArpgIlgpu.Weights;

/// <summary>
/// Released weights are in none of the folders searched and downloading was off. The message
/// names each file and every path searched, then how to get them.
/// </summary>
public sealed class MissingWeightsException : InvalidInputException
{
    /// <summary>Creates the exception from <see cref="WeightStore.MissingFilesMessage"/>.</summary>
    public MissingWeightsException(string searched)
        : base($"{searched} (or allow downloads: {nameof(Generation.PipelineOptions)}.{nameof(Generation.PipelineOptions.Download)})") =>
        Searched = searched;

    /// <summary>The files missing, where they were looked for, and where to download them.</summary>
    public string Searched { get; }
}
