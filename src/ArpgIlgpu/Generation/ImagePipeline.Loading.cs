using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>The one way to load a pipeline: a released model by name, checkpoint files, or random weights.</summary>
public sealed partial class ImagePipeline
{
    /// <summary>
    /// The released model <paramref name="name"/> (ARPG-L, ARPG-XL, ARPG-XXL: each with VQ-16),
    /// its weights found in the cache or downloaded into it (see
    /// <see cref="PretrainedModels.FindFilesAsync"/>), or <see cref="TinyRandom.Name"/> (random
    /// weights, no files). Blocks while downloading; <see cref="FromPretrainedAsync"/> does not.
    /// </summary>
    public static ImagePipeline FromPretrained(string name, PipelineOptions? options = null, CancellationToken cancel = default) =>
        FromPretrainedAsync(name, options, cancel).GetAwaiter().GetResult();

    /// <inheritdoc cref="FromPretrained"/>
    public static async Task<ImagePipeline> FromPretrainedAsync(string name, PipelineOptions? options = null,
        CancellationToken cancel = default)
    {
        options ??= new PipelineOptions();
        if (PretrainedModels.IsTinyRandom(name))
            return CreateRandom(TinyRandom.Arpg, TinyRandom.Vq, TinyRandom.WeightSeed, options);
        return Load(await PretrainedModels.FindFilesAsync(name, options, cancel).ConfigureAwait(false), options);
    }

    /// <summary>
    /// Loads the models of <see cref="PipelineOptions.Parts"/> from their checkpoint files
    /// (.pt or .safetensors), checking every tensor's shape against the configs. Entries a model
    /// does not use are skipped and listed in <see cref="IgnoredEntries"/>.
    /// </summary>
    public static ImagePipeline Load(PipelineFiles files, PipelineOptions? options = null)
    {
        options ??= new PipelineOptions();
        string? arpg = Needed(options, PipelineParts.Transformer, files.ArpgCheckpoint, nameof(PipelineFiles.ArpgCheckpoint));
        string? vq = Needed(options, PipelineParts.Tokenizer, files.VqCheckpoint, nameof(PipelineFiles.VqCheckpoint));
        var ignored = new List<IgnoredEntries>();
        return Create(options, ignored,
            device => arpg is null ? null : Read(arpg, files.WeightsKey, ignored,
                weights => ArpgTransformer.Load(device, files.Arpg, weights, options.Precision)),
            device => vq is null ? null : Read(vq, null, ignored, weights => VqModel.Load(device, files.Vq, weights)));
    }

    /// <summary>
    /// Models of the given shapes with random weights, reproducible from <paramref name="seed"/>
    /// (benchmarks, demos: the pictures are noise).
    /// </summary>
    public static ImagePipeline CreateRandom(ArpgConfig arpg, VqConfig vq, int seed, PipelineOptions? options = null)
    {
        options ??= new PipelineOptions();
        return Create(options, [],
            device => options.Parts.HasFlag(PipelineParts.Transformer)
                ? ArpgTransformer.CreateRandom(device, arpg, seed, options.Precision) : null,
            device => options.Parts.HasFlag(PipelineParts.Tokenizer) ? VqModel.CreateRandom(device, vq, seed) : null);
    }

    /// <summary>The checkpoint of a part the options ask for (null when they do not), or an error naming the missing file.</summary>
    private static string? Needed(PipelineOptions options, PipelineParts part, string? checkpoint, string parameter)
    {
        if (!options.Parts.HasFlag(part))
            return null;
        if (checkpoint is null)
            throw new InvalidParameterException(parameter, null,
                $"the {part.ToString().ToLowerInvariant()}'s checkpoint is needed (or leave it out of {nameof(PipelineOptions)}.{nameof(PipelineOptions.Parts)})");
        if (!File.Exists(checkpoint))
            throw new InvalidParameterException(parameter, checkpoint, "no such file");
        return checkpoint;
    }

    /// <summary>Loads a model from a checkpoint, noting the entries it did not use.</summary>
    private static T Read<T>(string path, string? key, List<IgnoredEntries> ignored, Func<StateDict, T> load)
    {
        using StateDict weights = StateDict.Open(path, key);
        T model = load(weights);
        if (weights.IgnoredNames.Count > 0)
            ignored.Add(new IgnoredEntries(weights.Path, weights.IgnoredNames));
        return model;
    }

    /// <summary>Opens the device (unless the options bring one) and makes both models on it, undoing everything on failure.</summary>
    private static ImagePipeline Create(PipelineOptions options, IReadOnlyList<IgnoredEntries> ignored,
        Func<ComputeDevice, ArpgTransformer?> makeTransformer, Func<ComputeDevice, VqModel?> makeTokenizer)
    {
        bool ownsDevice = options.Device is null;
        ComputeDevice device = options.Device ?? ComputeDevice.Open(DeviceSpec.Auto);
        ArpgTransformer? transformer = null;
        VqModel? tokenizer = null;
        try
        {
            transformer = makeTransformer(device);
            tokenizer = makeTokenizer(device);
            return new ImagePipeline(device, ownsDevice, transformer, tokenizer, ignored);
        }
        catch
        {
            tokenizer?.Dispose();
            transformer?.Dispose();
            if (ownsDevice)
                device.Dispose();
            throw;
        }
    }
}
