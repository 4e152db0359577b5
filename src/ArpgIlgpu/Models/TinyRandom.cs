namespace ArpgIlgpu.Models;

/// <summary>
/// The model <c>tiny-random</c>: a small randomly initialised ARPG and VQ with the real topology
/// (a 16 x 16 grid, 1000 classes, the five-level VQ-16 decoder at 32 base channels), so anyone
/// can run the whole pipeline in seconds without downloads. Its pictures are noise.
/// </summary>
public static class TinyRandom
{
    /// <summary>Its name (<see cref="Generation.ImagePipeline.FromPretrained"/> and the command line take it).</summary>
    public const string Name = "tiny-random";

    /// <summary>The seed of the random weights (fixed: the demo is reproducible).</summary>
    public const int WeightSeed = 20260;

    /// <summary>A 4-layer transformer of width 64 over a 64-code vocabulary.</summary>
    public static ArpgConfig Arpg { get; } = new()
    {
        Dim = 64, Layers = 4, Heads = 4, VocabSize = 64, NumClasses = 1000, BlockSize = 256, MultipleOf = 32,
    };

    /// <summary>The VQ-16 topology at 32 base channels, one residual block per level, 64 codes.</summary>
    public static VqConfig Vq { get; } = new()
    {
        CodebookSize = 64, Ch = 32, ZChannels = 64, NumResBlocks = 1,
    };
}
