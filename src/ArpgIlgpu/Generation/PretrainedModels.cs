using ArpgIlgpu.Models;
using ArpgIlgpu.Weights;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The models <see cref="ImagePipeline.FromPretrained"/> knows by name: the released ARPG
/// presets (each with the VQ-16 tokenizer), found in the weight cache or downloaded into it, and
/// <see cref="TinyRandom"/> (random weights, nothing to find).
/// </summary>
public static class PretrainedModels
{
    /// <summary>The released tokenizer's name in the weights manifest.</summary>
    public const string TokenizerName = "VQ-16";

    /// <summary>Every name <see cref="ImagePipeline.FromPretrained"/> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ArpgConfig.Presets.Keys, TinyRandom.Name];

    /// <summary>True for <see cref="TinyRandom.Name"/> (any case).</summary>
    public static bool IsTinyRandom(string name) => name.Equals(TinyRandom.Name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The released preset's name as the presets spell it; throws <see cref="InvalidParameterException"/> for any other.</summary>
    public static string Preset(string name) =>
        ArpgConfig.Presets.Keys.FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidParameterException("model", $"'{name}'", $"expected one of {string.Join(", ", Names)}");

    /// <summary>
    /// The files of the released model <paramref name="name"/> for the models in
    /// <see cref="PipelineOptions.Parts"/> (the others are left null): each found along
    /// <see cref="WeightStore.SearchPaths"/> of the cache <see cref="PipelineOptions.CacheDirectory"/>,
    /// else downloaded there when <see cref="PipelineOptions.Download"/> allows, else a
    /// <see cref="MissingWeightsException"/> naming every path searched.
    /// </summary>
    public static async Task<PipelineFiles> FindFilesAsync(string name, PipelineOptions options, CancellationToken cancel = default)
    {
        string preset = Preset(name);
        var wanted = new List<string>();
        if (options.Parts.HasFlag(PipelineParts.Transformer))
            wanted.Add(preset);
        if (options.Parts.HasFlag(PipelineParts.Tokenizer))
            wanted.Add(TokenizerName);
        WeightStore store = WeightStore.Open(options.CacheDirectory);
        var found = new Dictionary<string, string>();
        foreach (string model in wanted)
        {
            string? path = store.Find(model);
            if (path is null && options.Download)
                path = await store.EnsureAsync(model, options.DownloadOptions, options.DownloadProgress, cancel);
            if (path is not null)
                found[model] = path;
        }
        string[] missing = wanted.Where(n => !found.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
            throw new MissingWeightsException(store.MissingFilesMessage(missing));
        return new PipelineFiles
        {
            Arpg = ArpgConfig.Presets[preset],
            ArpgCheckpoint = found.GetValueOrDefault(preset),
            Vq = VqConfig.Vq16,
            VqCheckpoint = found.GetValueOrDefault(TokenizerName),
        };
    }
}
