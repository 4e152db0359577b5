using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>The non-finite flag against its reference: lengths around the runs and warps, poisons anywhere.</summary>
public class NonFiniteTests
{
    public static IEnumerable<object[]> Lengths() => [[1], [63], [64], [65], [1000], [70_001]];

    public static IEnumerable<object[]> SimulatorLengths() => [[1], [65], [300]];

    private static readonly float[] Poisons = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -float.NaN];

    [Theory, CpuCases(nameof(Lengths)), OpenClCases(nameof(Lengths)), OpenClGpuCases(nameof(Lengths)), SimulatorCases(nameof(SimulatorLengths))]
    public void TheFlagIsSetExactlyWhenAValueIsNotFinite(string backend, int n)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var random = new Random(n);
        using var flag = new Tensor<int>(device, 1);
        using var x = new Tensor<float>(device, n);
        for (int trial = 0; trial < 12; trial++)
        {
            // extremes that are finite (the largest, the smallest subnormal) must not set it
            float[] values = TestData.Normal(random, n, 1e3f);
            values[random.Next(n)] = float.MaxValue;
            values[random.Next(n)] = -float.Epsilon;
            if (trial % 3 != 0)
                values[trial % 2 == 0 ? n - 1 : random.Next(n)] = Poisons[random.Next(Poisons.Length)];
            x.Upload(values);
            flag.Upload([0]);
            device.Ops.FlagNonFinite(x.View, flag.View);
            Assert.Equal(NonFiniteReference.AnyNonFinite(values) ? 1 : 0, flag.ToArray()[0]);
        }
        // once set, a finite input leaves it set
        x.Upload(new float[n]);
        flag.Upload([1]);
        device.Ops.FlagNonFinite(x.View, flag.View);
        Assert.Equal(1, flag.ToArray()[0]);
    }
}
