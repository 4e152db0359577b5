using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>Residual add, SwiGLU's gate, swish and copy against scalar references.</summary>
public class ElementwiseTests
{
    /// <summary>Lengths that are not multiples of the runs the kernels take on host CPUs (64, thousands).</summary>
    public static IEnumerable<object[]> Lengths() => [[1], [63], [1000], [70_001]];

    [Theory, CpuCases(nameof(Lengths)), OpenClCases(nameof(Lengths))]
    public void EveryOpMatchesItsScalarReference(string backend, int n)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(n);
        float[] a = TestData.Normal(rng, n, 4f), b = TestData.Normal(rng, n);
        using var ta = new Tensor<float>(device, n);
        using var tb = Tensor<float>.FromArray(device, b, n);

        // SwiGLU's gate over 3 rows of n: each row of gateUp is a_r | b_r
        const int rows = 3;
        float[] gateUp = TestData.Normal(rng, rows * 2 * n, 4f);
        using (var tgu = Tensor<float>.FromArray(device, gateUp, rows, 2 * n))
        using (var tg = new Tensor<float>(device, rows, n))
        {
            device.Ops.SiluMul(tgu.View, tg.View, rows, n);
            float[] expected = Enumerable.Range(0, rows * n).Select(i =>
            {
                double v = gateUp[i / n * 2 * n + i % n], u = gateUp[i / n * 2 * n + n + i % n];
                return (float)(v / (1 + Math.Exp(-v)) * u);
            }).ToArray();
            // exp in float32: relative error of a few ulps
            TestData.AssertClose(expected, tg.ToArray(), 1e-5f, 1e-6f, "silu*mul");
        }

        ta.Upload(a);
        device.Ops.SwishInPlace(ta.View);
        TestData.AssertClose(a.Select(v => (float)(v / (1 + Math.Exp(-v)))).ToArray(), ta.ToArray(), 1e-5f, 1e-6f, "swish");

        ta.Upload(a);
        device.Ops.AddInPlace(ta.View, tb.View);
        Assert.Equal(a.Select((v, i) => v + b[i]).ToArray(), ta.ToArray()); // one rounding, exact

        device.Ops.Copy(tb.View, ta.View);
        Assert.Equal(b, ta.ToArray());
    }
}
