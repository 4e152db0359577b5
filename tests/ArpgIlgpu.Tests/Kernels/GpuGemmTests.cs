using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// The GPU profile's GEMM kernels (tiled, in each tiling, and GEMV) with float32 and float16
/// weights, against the double-precision product, on PoCL with the GPU profile and on ILGPU's
/// three GPU simulators. Shapes straddle the tile edges (63, 64, 65, 127, 128, 129) and stay
/// small: the simulators run each group's 256 threads as OS threads.
/// </summary>
public class GpuGemmTests
{
    public static IEnumerable<object[]> TiledCases() =>
        from c in new (int M, int N, int K, int Rows, int Splits)[]
        {
            (1, 1, 1, 128, 1), (64, 64, 64, 128, 1), (129, 127, 40, 128, 1), (65, 128, 17, 128, 2),
            (1, 1, 1, 64, 1), (63, 65, 64, 64, 1), (127, 129, 96, 64, 1), (64, 1, 33, 64, 3), (65, 63, 96, 64, 4),
        }
        from precision in new[] { Precision.Fp32, Precision.Fp16 }
        select new object[] { precision, c.M, c.N, c.K, c.Rows, c.Splits };

    [Theory, OpenClGpuCases(nameof(TiledCases)), SimulatorCases(nameof(TiledCases))]
    public void TiledMatchesReference(string backend, Precision precision, int m, int n, int k, int rows, int splits) =>
        AssertMatchesReference(backend, precision, m, n, k,
            (ops, x, w, y, accumulate) => ops.GemmTiled(x, w, y, m, n, k, accumulate, new GemmTiling(rows, splits)));

    /// <summary>
    /// The GEMV kernel at decoding-sized M (K past one staged chunk of 512 too), and what the GPU
    /// profile chooses for a shape (kernel and tiling) at ARPG-like shapes scaled down.
    /// </summary>
    public static IEnumerable<object[]> GemvAndChosenCases() =>
        from c in new (string Kernel, int M, int N, int K)[]
        {
            ("gemv", 1, 1, 1), ("gemv", 2, 65, 64), ("gemv", 7, 63, 48), ("gemv", 63, 5, 17), ("gemv", 5, 129, 96), ("gemv", 4, 9, 600),
            ("chosen", 2, 128, 64), ("chosen", 8, 96, 64), ("chosen", 64, 128, 64), ("chosen", 130, 128, 48), ("chosen", 96, 64, 5),
        }
        from precision in new[] { Precision.Fp32, Precision.Fp16 }
        select new object[] { c.Kernel, precision, c.M, c.N, c.K };

    [Theory, OpenClGpuCases(nameof(GemvAndChosenCases)), SimulatorCases(nameof(GemvAndChosenCases))]
    public void GemvAndChosenMatchReference(string backend, string kernel, Precision precision, int m, int n, int k) =>
        AssertMatchesReference(backend, precision, m, n, k, (ops, x, w, y, accumulate) =>
        {
            if (kernel == "gemv")
                ops.GemmGemv(x, w, y, m, n, k, accumulate);
            else
                ops.Gemm(x, w, y, m, n, k, accumulate);
        });

    [Theory]
    [InlineData(128, 1024, 1024, 132, 64, 4)] // 32 tiles of 64 on 132 SMs: K in 4 ranges of 256
    [InlineData(512, 1024, 1024, 132, 64, 2)] // 128 tiles of 64: 2 ranges still reach 132
    [InlineData(2048, 2816, 1024, 132, 128, 1)] // 16 x 22 tiles of 128 fill the device
    [InlineData(64, 64, 64, 132, 64, 1)] // K too short to split
    [InlineData(128, 1024, 1024, 2, 128, 1)] // a 2-core CPU: 8 tiles of 128 are plenty
    public void TilingFillsTheDevice(int m, int n, int k, int multiprocessors, int rows, int splits) =>
        Assert.Equal(new GemmTiling(rows, splits), GemmTiling.For(m, n, k, multiprocessors));

    [Theory]
    [InlineData(1024, 4, 256, 4)]
    [InlineData(1024, 5, 208, 5)]
    [InlineData(20, 3, 8, 3)]
    [InlineData(0, 1, 8, 1)]
    public void SplitsCoverKInWholeSlices(int k, int splits, int splitK, int count)
    {
        var tiling = new GemmTiling(64, splits);
        Assert.Equal(splitK, tiling.SplitK(k));
        Assert.Equal(count, tiling.SplitCount(k));
    }

    internal delegate void GemmCall(Ops ops, ILGPU.ArrayView<float> x, StorageTensor w, ILGPU.ArrayView<float> y, bool accumulate);

    /// <summary>Runs <paramref name="gemm"/> accumulating, then overwriting, and compares both with the reference.</summary>
    internal static void AssertMatchesReference(string backend, Precision precision, int m, int n, int k, GemmCall gemm)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(m + 7 * n + 31 * k + (int)precision);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k), y0 = TestData.Normal(rng, m * n);
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var tw = StorageTensor.Upload(device, precision, w, n, k);
        using var ty = Tensor<float>.FromArray(device, y0, m, n);
        float[] stored = tw.ToFloatArray(); // the weights as the kernel sees them (rounded to half for Fp16)
        // float32 sums of k products against a double reference: relative 1e-4 plus a small
        // absolute term for sums that cancel towards zero
        float atol = 1e-4f * MathF.Sqrt(k);
        gemm(device.Ops, tx.View, tw, ty.View, true);
        TestData.AssertClose(GemmReference.Gemm(x, stored, y0, m, n, k), ty.ToArray(), rtol: 1e-4f, atol: atol);
        gemm(device.Ops, tx.View, tw, ty.View, false);
        TestData.AssertClose(GemmReference.Gemm(x, stored, null, m, n, k), ty.ToArray(), rtol: 1e-4f, atol: atol);
    }
}
