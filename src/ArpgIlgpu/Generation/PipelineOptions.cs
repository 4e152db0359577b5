using ArpgIlgpu.Runtime;
using ArpgIlgpu.Weights;

namespace ArpgIlgpu.Generation;

/// <summary>Which models a pipeline holds: generating tokens needs the transformer, pixels the tokenizer.</summary>
[Flags]
public enum PipelineParts
{
    /// <summary>Neither model (finding files only).</summary>
    None = 0,

    /// <summary>The ARPG transformer: class labels to token grids.</summary>
    Transformer = 1,

    /// <summary>The VQ tokenizer: token grids to pictures and back.</summary>
    Tokenizer = 2,

    /// <summary>Both: class labels to pictures, and editing.</summary>
    Both = Transformer | Tokenizer,
}

/// <summary>How <see cref="ImagePipeline"/> loads its models: onto which device, stored how, from where.</summary>
public sealed record PipelineOptions
{
    /// <summary>
    /// The device the models live on; the caller keeps owning it. Null opens
    /// <see cref="DeviceSpec.Auto"/> (CUDA, else an OpenCL GPU, else OpenCL on the CPU, else the
    /// CPU accelerator), which the pipeline then owns and disposes.
    /// </summary>
    public ComputeDevice? Device { get; init; }

    /// <summary>Storage of the transformer's weights and KV caches (sums are float32 either way).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Which models to load.</summary>
    public PipelineParts Parts { get; init; } = PipelineParts.Both;

    /// <summary>The weight cache (null: <see cref="CacheLocation.Resolve(string?)"/>).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Download released weights that are in no searched folder into the cache.</summary>
    public bool Download { get; init; } = true;

    /// <summary>The mirror, timeouts and retries of downloads.</summary>
    public DownloadOptions DownloadOptions { get; init; } = new();

    /// <summary>Hears how each download goes (bytes received, resumes, verification).</summary>
    public IProgress<DownloadProgress>? DownloadProgress { get; init; }
}
