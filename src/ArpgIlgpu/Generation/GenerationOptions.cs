namespace ArpgIlgpu.Generation;

/// <summary>
/// Settings of one generation run; the defaults are the paper's for ARPG-L at 256x256
/// (64 steps, guidance 4 with the linear schedule, arccos masking, temperature 1).
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Decoding steps (1..L): the number of forward passes per image.</summary>
    public int Steps { get; init; } = 64;

    /// <summary>Classifier-free guidance scale: logits = u + (c - u) * scale.</summary>
    public float Cfg { get; init; } = 4f;

    /// <summary>How the guidance scale evolves over the steps.</summary>
    public CfgSchedule CfgSchedule { get; init; } = CfgSchedule.Linear;

    /// <summary>How many tokens each step predicts.</summary>
    public SampleSchedule Schedule { get; init; } = SampleSchedule.Arccos;

    /// <summary>Softmax temperature; 0 picks the most likely token (argmax).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the k most likely tokens (0: all).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p (1: all).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>The seed: with the same settings it names the same images on every backend.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The generation order (grid positions, first generated first), shared by the batch as in
    /// the official code; null draws a random order from the seed.
    /// </summary>
    public int[]? Order { get; init; }
}
