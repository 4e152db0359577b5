namespace ArpgIlgpu.Kernels.Reference;

/// <summary>PyTorch's GroupNorm on host arrays in double precision: what the kernels are checked against.</summary>
public static class GroupNormReference
{
    /// <summary>
    /// The mean and biased variance of each group (b, g) of x: [B, C, Spatial] (<see cref="GroupNormShape"/>),
    /// two-pass in double: (mean, variance) per group, in the order b*G + g.
    /// </summary>
    public static (double Mean, double Variance)[] Statistics(float[] x, GroupNormShape s)
    {
        var statistics = new (double, double)[s.Batch * s.Groups];
        int n = s.GroupLength;
        for (int group = 0; group < statistics.Length; group++)
        {
            long start = (long)group * n;
            double mean = 0, variance = 0;
            for (int i = 0; i < n; i++)
                mean += x[start + i];
            mean /= n;
            for (int i = 0; i < n; i++)
                variance += (x[start + i] - mean) * (x[start + i] - mean);
            statistics[group] = (mean, variance / n);
        }
        return statistics;
    }

    /// <summary>
    /// y[b, c, p] = (x[b, c, p] - mean[b, g]) / sqrt(var[b, g] + eps) * gamma[c] + beta[c], g = c / (C / G),
    /// then y = y * sigmoid(y) when <paramref name="swish"/>. x: [B, C, Spatial]; gamma, beta: [C].
    /// </summary>
    public static float[] GroupNorm(float[] x, float[] gamma, float[] beta, GroupNormShape s, float eps, bool swish)
    {
        var y = new float[x.Length];
        (double Mean, double Variance)[] statistics = Statistics(x, s);
        for (long i = 0; i < x.Length; i++)
        {
            int c = (int)(i / s.Spatial % s.Channels);
            (double mean, double variance) = statistics[i / s.GroupLength];
            double v = (x[i] - mean) / Math.Sqrt(variance + eps) * gamma[c] + beta[c];
            y[i] = (float)(swish ? v / (1 + Math.Exp(-v)) : v);
        }
        return y;
    }
}
