using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>
/// Class labels in, pictures out: the ARPG transformer generates token grids with
/// <see cref="ParallelDecoder"/>, the VQ tokenizer decodes them to pixels. The entry point for
/// programs that use the library (see samples/GenerateOne).
/// </summary>
public sealed partial class ImagePipeline : IDisposable
{
    private ImagePipeline(ArpgTransformer transformer, VqModel tokenizer)
    {
        Transformer = transformer;
        Tokenizer = tokenizer;
        if (tokenizer.Config.CodebookSize != transformer.Config.VocabSize)
            throw new InvalidInputException(
                $"the tokenizer has {tokenizer.Config.CodebookSize} codes but the transformer predicts {transformer.Config.VocabSize}");
    }

    /// <summary>The token generator.</summary>
    public ArpgTransformer Transformer { get; }

    /// <summary>The VQ tokenizer.</summary>
    public VqModel Tokenizer { get; }

    /// <summary>Loads both models from checkpoint files (.pt or .safetensors).</summary>
    public static ImagePipeline Load(ComputeDevice device, ArpgConfig arpg, string arpgCheckpoint,
        VqConfig vq, string vqCheckpoint)
    {
        using StateDict arpgWeights = StateDict.Open(arpgCheckpoint);
        using StateDict vqWeights = StateDict.Open(vqCheckpoint);
        var transformer = ArpgTransformer.Load(device, arpg, arpgWeights);
        try
        {
            return new ImagePipeline(transformer, VqModel.Load(device, vq, vqWeights));
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
    }

    /// <summary>Randomly initialised models of the given shapes (benchmarks, demos: noise pictures).</summary>
    public static ImagePipeline CreateRandom(ComputeDevice device, ArpgConfig arpg, VqConfig vq, int seed) =>
        new(ArpgTransformer.CreateRandom(device, arpg, seed), VqModel.CreateRandom(device, vq, seed));

    /// <summary>Generates one token grid per class: [images][L] in grid order.</summary>
    public int[][] GenerateTokens(IReadOnlyList<int> classes, GenerationOptions options,
        IReadOnlyList<int>? imageIndices = null, IProgress<DecodeProgress>? progress = null,
        CancellationToken cancel = default) =>
        new ParallelDecoder(Transformer).Generate(classes, options, imageIndices, progress, cancel);

    /// <summary>Decodes token grids (each g*g ids in grid order) to pictures.</summary>
    public RgbImage[] Decode(IReadOnlyList<int[]> tokens) => TokenPictures.Decode(Tokenizer, tokens);

    /// <summary>Generates one picture per class.</summary>
    public RgbImage[] Generate(IReadOnlyList<int> classes, GenerationOptions options,
        IProgress<DecodeProgress>? progress = null, CancellationToken cancel = default) =>
        Decode(GenerateTokens(classes, options, progress: progress, cancel: cancel));

    /// <inheritdoc />
    public void Dispose()
    {
        Transformer.Dispose();
        Tokenizer.Dispose();
    }
}
