using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class GemmTests
{
    public static IEnumerable<object[]> Shapes() =>
    [
        [1, 1, 1], [1, 7, 5], [2, 64, 64], [3, 17, 33], [5, 9, 130], [13, 31, 7], [4, 1, 3],
    ];

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void MatchesScalarReference(string backend, int m, int n, int k)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(m * 1000 + n * 10 + k);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k), y0 = TestData.Normal(rng, m * n);
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var tw = Tensor<float>.FromArray(device, w, n, k);
        using var ty = Tensor<float>.FromArray(device, y0, m, n);

        device.Ops.GemmRowBlocked(tx.View, tw.View, ty.View, m, n, k);
        float[] product = Reference(x, w, m, n, k);
        // float32 sums of k products against a double reference: relative 1e-4 plus a small
        // absolute term for sums that cancel towards zero.
        TestData.AssertClose(product, ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));

        ty.Upload(y0);
        device.Ops.GemmRowBlocked(tx.View, tw.View, ty.View, m, n, k, accumulate: true);
        TestData.AssertClose(product.Select((p, i) => p + y0[i]).ToArray(), ty.ToArray(),
            rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
    }

    public static IEnumerable<object[]> TiledShapes() =>
    [
        [1, 1, 1], [64, 64, 16], [65, 63, 17], [130, 70, 33], [7, 200, 5],
    ];

    /// <summary>
    /// The tiled kernel needs groups of 16 x 16 threads, which ILGPU's CPU accelerator (4 threads
    /// per group here) does not offer, so it is checked on OpenCL against the row-blocked kernel's
    /// reference, the double-precision product.
    /// </summary>
    [Theory, OpenClCases(nameof(TiledShapes))]
    public void TiledMatchesScalarReference(string backend, int m, int n, int k)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(m + 7 * n + 31 * k);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k), y0 = TestData.Normal(rng, m * n);
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var tw = Tensor<float>.FromArray(device, w, n, k);
        using var ty = Tensor<float>.FromArray(device, y0, m, n);
        float[] product = Reference(x, w, m, n, k);
        device.Ops.GemmTiled(tx.View, tw.View, ty.View, m, n, k, accumulate: true);
        TestData.AssertClose(product.Select((p, i) => p + y0[i]).ToArray(), ty.ToArray(),
            rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
        device.Ops.GemmTiled(tx.View, tw.View, ty.View, m, n, k);
        TestData.AssertClose(product, ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
    }

    private static float[] Reference(float[] x, float[] w, int m, int n, int k)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int c = 0; c < k; c++)
                s += (double)x[i * k + c] * w[j * k + c];
            y[i * n + j] = (float)s;
        }
        return y;
    }
}
