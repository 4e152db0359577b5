using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The one warning line for checkpoint entries a model did not use (<see cref="ImagePipeline.IgnoredEntries"/>):
/// they were skipped, as PyTorch's <c>load_state_dict(strict=False)</c> skips them, and the user
/// should know which. Each file is named once, however many devices load it.
/// </summary>
internal sealed class IgnoredTensorWarning
{
    private readonly HashSet<string> warned = [];

    /// <summary>Prints the warning for each checkpoint of <paramref name="pipeline"/> with ignored entries; returns the pipeline.</summary>
    public ImagePipeline After(ImagePipeline pipeline)
    {
        foreach (IgnoredEntries ignored in pipeline.IgnoredEntries)
            if (warned.Add(ignored.Checkpoint))
                Console.Error.WriteLine($"warning: {ignored.Checkpoint}: ignored {ignored.Names.Count} entries the model does not use " +
                                        $"(as the official loader's strict=False): {ShapeCheck.Listed(ignored.Names)}");
        return pipeline;
    }
}
