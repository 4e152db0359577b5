namespace ArpgIlgpu.Generation;

/// <summary>
/// How tokens are drawn from the guided logits: temperature, top-k, top-p and the seed. The
/// defaults are the official <c>generate()</c>'s: temperature 1, no top-k, no top-p.
/// </summary>
public sealed record SamplingSettings
{
    /// <summary>
    /// Logits are divided by it before the softmax; 0 picks the most likely token (argmax).
    /// Values between 0 and 1e-5 are raised to 1e-5, as the official code does.
    /// </summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only logits at least the k-th largest (ties included); 0 turns the filter off.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus filtering: keep the most likely tokens up to probability mass TopP; 1 turns it off.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>
    /// The Philox key: with the image's index in the request, the step and the grid position it
    /// names every draw, so a seed gives the same image on every backend and in any batch.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>True when tokens are picked by argmax (temperature 0): no draw, no filters.</summary>
    public bool IsGreedy => Temperature == 0f;

    /// <summary>The divisor applied to the logits: max(temperature, 1e-5), as <c>generate()</c> computes it.</summary>
    public float TemperatureDivisor => MathF.Max(Temperature, 1e-5f);

    /// <summary>Throws <see cref="InvalidParameterException"/>, naming the setting, for one out of range.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0f)
            throw new InvalidParameterException(nameof(Temperature), $"{Temperature}",
                "must be a finite number >= 0 (0 picks the most likely token)");
        if (TopK < 0)
            throw new InvalidParameterException(nameof(TopK), $"{TopK}", "must be >= 0 (0 turns top-k filtering off)");
        if (!(TopP > 0f && TopP <= 1f))
            throw new InvalidParameterException(nameof(TopP), $"{TopP}", "must be in (0, 1] (1 turns nucleus filtering off)");
    }
}
