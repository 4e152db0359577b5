using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>
/// Class labels in, pictures out: the ARPG transformer generates token grids with
/// <see cref="ParallelDecoder"/>, the VQ tokenizer decodes them to pixels. The entry point for
/// programs that use the library (see samples/GenerateOne): load it once
/// (<see cref="FromPretrained"/> or <see cref="Load"/>), then generate, edit, encode, decode or
/// score with it. Each capability has its own file (ImagePipeline.*.cs).
/// </summary>
public sealed partial class ImagePipeline : IDisposable
{
    private readonly ArpgTransformer? transformer;
    private readonly VqModel? tokenizer;
    private readonly bool ownsDevice;

    private ImagePipeline(ComputeDevice device, bool ownsDevice, ArpgTransformer? transformer, VqModel? tokenizer,
        IReadOnlyList<IgnoredEntries> ignored)
    {
        if (transformer is not null && tokenizer is not null && tokenizer.Config.CodebookSize != transformer.Config.VocabSize)
            throw new InvalidInputException(
                $"the tokenizer has {tokenizer.Config.CodebookSize} codes but the transformer predicts {transformer.Config.VocabSize}");
        Device = device;
        this.ownsDevice = ownsDevice;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        IgnoredEntries = ignored;
    }

    /// <summary>The device the models live on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Which models this pipeline holds (<see cref="PipelineOptions.Parts"/>).</summary>
    public PipelineParts Parts =>
        (transformer is null ? PipelineParts.None : PipelineParts.Transformer) |
        (tokenizer is null ? PipelineParts.None : PipelineParts.Tokenizer);

    /// <summary>The token generator; throws when the pipeline was loaded without it.</summary>
    public ArpgTransformer Transformer => transformer ?? throw Absent(PipelineParts.Transformer);

    /// <summary>The VQ tokenizer; throws when the pipeline was loaded without it.</summary>
    public VqModel Tokenizer => tokenizer ?? throw Absent(PipelineParts.Tokenizer);

    /// <summary>Checkpoint entries the models did not use, one record per checkpoint that had any.</summary>
    public IReadOnlyList<IgnoredEntries> IgnoredEntries { get; }

    /// <summary>Generates one token grid per class: [images][L] in grid order.</summary>
    public int[][] GenerateTokens(IReadOnlyList<int> classes, GenerationOptions options,
        IReadOnlyList<int>? imageIndices = null, IProgress<DecodeProgress>? progress = null,
        CancellationToken cancel = default, StepObserver? observer = null) =>
        new ParallelDecoder(Transformer) { Observer = observer }.Generate(classes, options, imageIndices, progress, cancel);

    /// <summary>Generates one picture per class.</summary>
    public RgbImage[] Generate(IReadOnlyList<int> classes, GenerationOptions options,
        IProgress<DecodeProgress>? progress = null, CancellationToken cancel = default)
    {
        if (tokenizer is null) // said before generating, not after
            throw Absent(PipelineParts.Tokenizer);
        return Decode(GenerateTokens(classes, options, progress: progress, cancel: cancel), cancel: cancel);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        transformer?.Dispose();
        tokenizer?.Dispose();
        if (ownsDevice)
            Device.Dispose();
    }

    private static InvalidOperationException Absent(PipelineParts part) =>
        new($"this pipeline was loaded without the {part.ToString().ToLowerInvariant()} " +
            $"({nameof(PipelineOptions)}.{nameof(PipelineOptions.Parts)})");
}
