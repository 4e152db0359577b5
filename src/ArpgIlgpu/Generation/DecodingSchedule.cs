namespace ArpgIlgpu.Generation;

/// <summary>How the fraction of still-masked tokens falls over the steps.</summary>
public enum SampleSchedule
{
    /// <summary>masked(s) = arccos((s+1)/N) / (pi/2): few tokens early, many late (the paper's default).</summary>
    Arccos,
    /// <summary>masked(s) = cos(pi/2 (s+1)/N).</summary>
    Cosine,
}

/// <summary>How the classifier-free guidance scale evolves over the steps.</summary>
public enum CfgSchedule
{
    /// <summary>The same scale at every step.</summary>
    Constant,
    /// <summary>1 + (scale - 1) * (tokens generated, this step included) / L: weak guidance early.</summary>
    Linear,
}

/// <summary>
/// The number of tokens ARPG predicts at each step, as the official <c>generate()</c> computes it
/// (in double precision, as numpy does): with r_s the masked fraction after step s,
/// mask_len = max(1, min(L - done - 1, int(L r_s))), num_pred = L - done - mask_len, and the last
/// step predicts everything left.
/// </summary>
public static class DecodingSchedule
{
    /// <summary>Tokens predicted per step; sums to <paramref name="length"/>; every entry at least 1.</summary>
    public static int[] TokensPerStep(int length, int steps, SampleSchedule schedule)
    {
        if (length < 1)
            throw new ArgumentOutOfRangeException(nameof(length), "at least one token");
        RequireSteps(steps, length);
        var counts = new int[steps];
        int done = 0;
        for (int s = 0; s < steps; s++)
        {
            double masked = MaskedFraction(s, steps, schedule);
            int maskLen = Math.Max(1, Math.Min(length - done - 1, (int)(length * masked)));
            counts[s] = s == steps - 1 ? length - done : length - done - maskLen;
            done += counts[s];
        }
        return counts;
    }

    /// <summary>The schedule's masked fraction r_s after step <paramref name="step"/> of <paramref name="steps"/> (the official mask_ratio).</summary>
    public static double MaskedFraction(int step, int steps, SampleSchedule schedule)
    {
        double fraction = (step + 1.0) / steps;
        return schedule == SampleSchedule.Arccos
            ? Math.Acos(fraction) / (Math.PI * 0.5)
            : Math.Cos(Math.PI / 2.0 * fraction);
    }

    /// <summary>The guidance scale at a step, given the tokens generated up to and including it.</summary>
    public static float GuidanceScale(CfgSchedule schedule, float scale, int generatedSoFar, int length) =>
        schedule == CfgSchedule.Linear
            ? (float)(1.0 + (scale - 1.0) * generatedSoFar / length)
            : scale;

    /// <summary>Throws <see cref="InvalidParameterException"/> (<see cref="GenerationOptions.Steps"/>) unless 1 &lt;= steps &lt;= length.</summary>
    public static void RequireSteps(int steps, int length)
    {
        if (steps < 1 || steps > length)
            throw new InvalidParameterException(nameof(GenerationOptions.Steps), $"{steps}",
                $"must be between 1 and {length} (the number of tokens)");
    }
}
