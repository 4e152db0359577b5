using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class GroupNormTests
{
    public static IEnumerable<object[]> Shapes() =>
    [
        [new GroupNormShape(Batch: 2, Channels: 64, Spatial: 7 * 9, Groups: 32), false],
        [new GroupNormShape(2, 64, 7 * 9, 32), true],
        [new GroupNormShape(1, 32, 1, 32), false],          // one element per group: variance 0
        [new GroupNormShape(1, 6, 5, 3), true],
        [new GroupNormShape(2, 8, 67 * 67, 2), true],       // 4 chunks of 4096 and a ragged fifth per group
        [new GroupNormShape(1, 1, 4096 * 2, 1), false],     // exactly two chunks
    ];

    /// <summary>
    /// Few groups for the GPU simulators: groups shorter than the 256 threads of the group
    /// reduction, and longer ones that end inside its 4 x 256-element strides (1156, 1200).
    /// </summary>
    public static IEnumerable<object[]> SimulatorShapes() =>
    [
        [new GroupNormShape(1, 6, 5, 3), true],
        [new GroupNormShape(2, 8, 17 * 17, 2), true],
        [new GroupNormShape(1, 4, 300, 1), false],
        [new GroupNormShape(1, 2, 1, 2), false],
    ];

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes)), OpenClGpuCases(nameof(Shapes)),
     SimulatorCases(nameof(SimulatorShapes))]
    public void MatchesScalarReference(string backend, GroupNormShape s, bool swish)
    {
        // every variant must agree with the reference on every backend that can run it: the
        // group reduction needs groups of 256 threads, which ILGPU's plain CPU accelerator does not offer
        int largestGroup = TestDevices.Get(backend).Accelerator.MaxNumThreadsPerGroup;
        foreach (GroupNormVariant variant in Enum.GetValues<GroupNormVariant>()
                     .Where(v => v != GroupNormVariant.GroupReduce || largestGroup >= GroupNormKernels.ReduceGroupSize))
        foreach (bool inPlace in new[] { true, false })
            CheckAgainstReference(backend, s, swish, variant, inPlace);
    }

    /// <summary>GroupNorm of random x into x itself (the VQ's norm2) or into another tensor (its norm1), against the reference.</summary>
    private static void CheckAgainstReference(string backend, GroupNormShape s, bool swish, GroupNormVariant variant, bool inPlace)
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
        using var other = new Tensor<float>(device, x.Length);
        Tensor<float> into = inPlace ? tx : other;
        device.Ops.GroupNorm(tx.View, tg.View, tb.View, into.View, statistics.View, s, eps: 1e-6f, swish, variant);
        // The inputs carry float32 rounding of about |x| * 6e-8 = 2e-6, divided by a std of 2;
        // the outputs are O(|gamma| + |beta|): 1e-4 relative plus 1e-5 absolute covers both.
        TestData.AssertClose(GroupNormReference.GroupNorm(x, gamma, beta, s, 1e-6f, swish), into.ToArray(), rtol: 1e-4f,
            atol: 1e-5f, $"{variant}, {(inPlace ? "in place" : "into another tensor")}");
    }

    /// <summary>
    /// The VQ's largest groups (4 channels of 256 x 256: 262144 elements) with a mean 15 standard
    /// deviations from zero: the chunked and the group-reduced statistics both keep the mean and
    /// 1/std to a few float32 roundings of the double reference.
    /// </summary>
    [Theory, OpenClGpu]
    public void StatisticsOfLargeGroupsStayAccurate(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var s = new GroupNormShape(Batch: 1, Channels: 8, Spatial: 256 * 256, Groups: 2);
        float[] x = TestData.Normal(new Random(7), (int)s.Length, scale: 2f).Select(v => v + 30f).ToArray();
        float[] ones = Enumerable.Repeat(1f, s.Channels).ToArray();
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var gamma = Tensor<float>.FromArray(device, ones, ones.Length);
        using var beta = new Tensor<float>(device, s.Channels);
        using var y = new Tensor<float>(device, (int)s.Length);
        using var statistics = new Tensor<float>(device, s.StatisticsLength);
        (double Mean, double Variance)[] expected = GroupNormReference.Statistics(x, s);
        foreach (GroupNormVariant variant in new[] { GroupNormVariant.PerElement, GroupNormVariant.GroupReduce })
        {
            device.Ops.GroupNorm(tx.View, gamma.View, beta.View, y.View, statistics.View, s, eps: 1e-6f, swish: false,
                variant);
            float[] stats = statistics.ToArray();
            for (int g = 0; g < expected.Length; g++)
            {
                float mean = stats[s.GroupStatisticsOffset + 2 * g], inverseStd = stats[s.GroupStatisticsOffset + 2 * g + 1];
                double expectedInverseStd = 1 / Math.Sqrt(expected[g].Variance + 1e-6);
                Assert.True(Math.Abs(mean - expected[g].Mean) < 2e-6 * expected[g].Mean,
                    $"{variant}: mean {mean}, expected {expected[g].Mean}");
                Assert.True(Math.Abs(inverseStd - expectedInverseStd) < 2e-6 * expectedInverseStd,
                    $"{variant}: 1/std {inverseStd}, expected {expectedInverseStd}");
            }
        }
    }
}
