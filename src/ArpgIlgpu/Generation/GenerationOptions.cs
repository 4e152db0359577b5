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

    /// <summary>Temperature, top-k, top-p and the seed (which also draws a random order).</summary>
    public SamplingSettings Sampling { get; init; } = new();

    /// <summary>
    /// The generation order (grid positions, first generated first), shared by the batch as in
    /// the official code; null draws a random order from the seed.
    /// </summary>
    public int[]? Order { get; init; }

    /// <summary>Throws <see cref="InvalidParameterException"/> naming the first invalid setting.</summary>
    public void Validate(int length)
    {
        DecodingSchedule.RequireSteps(Steps, length);
        if (!float.IsFinite(Cfg) || Cfg < 0)
            throw new InvalidParameterException(nameof(Cfg), $"{Cfg}", "must be a finite number >= 0");
        Sampling.Validate();
        if (Order is not null)
            GenerationOrders.RequirePermutation(Order, length, nameof(Order));
    }
}
