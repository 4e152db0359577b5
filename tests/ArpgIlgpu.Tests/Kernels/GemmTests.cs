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

    public static IEnumerable<object[]> GroupedShapes() =>
        from variant in new[] { "tiled", "grouped" }
        from shape in new[] { (1, 1, 16), (64, 64, 16), (65, 63, 48), (130, 70, 32), (7, 200, 16), (2, 9, 1040), (6, 4, 16), (5, 3, 17) }
        where variant == "tiled" || shape.Item3 % 16 == 0 // the grouped kernel takes K in multiples of 16
        select new object[] { variant, shape.Item1, shape.Item2, shape.Item3 };

    /// <summary>
    /// The tiled and grouped kernels need groups of 256 and 16 threads, which ILGPU's CPU
    /// accelerator (4 threads per group here) does not offer, so they are checked on OpenCL
    /// against the double-precision product.
    /// </summary>
    [Theory, OpenClCases(nameof(GroupedShapes))]
    public void GroupKernelsMatchScalarReference(string backend, string variant, int m, int n, int k)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(m + 7 * n + 31 * k);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k), y0 = TestData.Normal(rng, m * n);
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var tw = Tensor<float>.FromArray(device, w, n, k);
        using var ty = Tensor<float>.FromArray(device, y0, m, n);
        float[] product = Reference(x, w, m, n, k);
        Action<bool> gemm = accumulate =>
        {
            if (variant == "tiled")
                device.Ops.GemmTiled(tx.View, tw.View, ty.View, m, n, k, accumulate);
            else
                device.Ops.GemmGrouped(tx.View, tw.View, ty.View, m, n, k, accumulate);
        };
        gemm(true);
        TestData.AssertClose(product.Select((p, i) => p + y0[i]).ToArray(), ty.ToArray(),
            rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
        gemm(false);
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
