using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class GroupNormTests
{
    /// <summary>PyTorch's GroupNorm (biased variance) in double precision, optionally followed by swish.</summary>
    internal static float[] Reference(float[] x, float[] gamma, float[] beta, GroupNormShape s, float eps, bool swish)
    {
        var y = new float[x.Length];
        int n = s.GroupLength;
        for (int group = 0; group < s.Batch * s.Groups; group++)
        {
            int start = group * n;
            double mean = 0, variance = 0;
            for (int i = 0; i < n; i++)
                mean += x[start + i];
            mean /= n;
            for (int i = 0; i < n; i++)
                variance += (x[start + i] - mean) * (x[start + i] - mean);
            variance /= n;
            for (int i = 0; i < n; i++)
            {
                int c = (start + i) / s.Spatial % s.Channels;
                double v = (x[start + i] - mean) / Math.Sqrt(variance + eps) * gamma[c] + beta[c];
                y[start + i] = (float)(swish ? v / (1 + Math.Exp(-v)) : v);
            }
        }
        return y;
    }

    public static IEnumerable<object[]> Shapes() =>
    [
        [new GroupNormShape(Batch: 2, Channels: 64, Spatial: 7 * 9, Groups: 32), false],
        [new GroupNormShape(2, 64, 7 * 9, 32), true],
        [new GroupNormShape(1, 32, 1, 32), false],          // one element per group: variance 0
        [new GroupNormShape(1, 6, 5, 3), true],
        [new GroupNormShape(2, 8, 67 * 67, 2), true],       // 4 chunks of 4096 and a ragged fifth per group
        [new GroupNormShape(1, 1, 4096 * 2, 1), false],     // exactly two chunks
    ];

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void MatchesScalarReference(string backend, GroupNormShape s, bool swish)
    {
        // host CPUs normalise whole planes per work item, GPUs one element per work item: both must agree
        foreach (bool perElement in new[] { false, true })
            CheckAgainstReference(backend, s, swish, perElement);
    }

    private static void CheckAgainstReference(string backend, GroupNormShape s, bool swish, bool perElement)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(s.GetHashCode() + (swish ? 1 : 0));
        // An offset mean, so that a one-pass E[x^2] - E[x]^2 would lose digits and fail.
        float[] x = TestData.Normal(rng, (int)s.Length, scale: 2f).Select(v => v + 30f).ToArray();
        float[] gamma = TestData.Normal(rng, s.Channels), beta = TestData.Normal(rng, s.Channels);
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var tg = Tensor<float>.FromArray(device, gamma, gamma.Length);
        using var tb = Tensor<float>.FromArray(device, beta, beta.Length);
        using var statistics = new Tensor<float>(device, s.StatisticsLength);
        device.Ops.GroupNorm(tx.View, tg.View, tb.View, tx.View, statistics.View, s, eps: 1e-6f, swish, perElement);
        // The inputs carry float32 rounding of about |x| * 6e-8 = 2e-6, divided by a std of 2;
        // the outputs are O(|gamma| + |beta|): 1e-4 relative plus 1e-5 absolute covers both.
        TestData.AssertClose(Reference(x, gamma, beta, s, 1e-6f, swish), tx.ToArray(), rtol: 1e-4f, atol: 1e-5f,
            perElement ? "per element" : "per plane");
    }
}
