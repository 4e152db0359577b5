using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// q8_0 weights (<see cref="Q8Matrix"/>): the quantiser against its definition in double, and every
/// int8 GEMM kernel (row-blocked on CPUs, GEMV-shaped and dequantise-then-tiled on GPUs) against the
/// double-precision product with the dequantised weights, at shapes whose M, N and K straddle the
/// register blocks (4), the GEMV's rows (8) and chunk (512), the CPU kernel's staged range (1024),
/// the tiles (64, 128) and the q8_0 blocks (K = 1, 7, 31, 33, 70, 600, 1100: a short last block).
/// </summary>
public class GemmInt8Tests
{
    [Fact]
    public void QuantisationFollowsTheQ80Definition()
    {
        const int rows = 3, columns = 70; // blocks of 32, 32 and 6 columns
        var w = TestData.Normal(new Random(5), rows * columns);
        Array.Clear(w, columns + 32, 32); // row 1, block 1: all zero
        w[2 * columns + 65] = 40f; // row 2's short block: one outlier
        Q8Matrix q = Q8Matrix.Quantize(w, rows, columns);

        Assert.Equal(3, q.Blocks);
        Assert.Equal(rows * 3, q.Scales.Length);
        for (int n = 0; n < rows; n++)
            for (int b = 0; b < 3; b++)
            {
                int start = b * 32, length = Math.Min(32, columns - start);
                double max = Enumerable.Range(start, length).Max(k => Math.Abs((double)w[n * columns + k]));
                float scale = q.Scales[n * 3 + b];
                Assert.Equal(max / 127, scale, 1e-6 * max + 1e-30);
                for (int k = start; k < start + length; k++)
                {
                    int at = n * columns + k;
                    Assert.InRange((int)q.Values[at], -127, 127);
                    // round to nearest: the error is at most half a step
                    Assert.True(Math.Abs(q.Values[at] * (double)scale - w[at]) <= scale / 2 * (1 + 1e-6),
                        $"w[{n}, {k}] = {w[at]} became {q.Values[at]} x {scale}");
                    if (Math.Abs(w[at]) == max && max > 0)
                        Assert.Equal(127, Math.Abs((int)q.Values[at]));
                }
            }
        Assert.Equal(0f, q.Scales[1 * 3 + 1]);
        Assert.All(q.Values.AsSpan(columns + 32, 32).ToArray(), v => Assert.Equal(0, v));
        float[] back = q.Dequantize();
        for (int i = 0; i < w.Length; i++)
            Assert.Equal(q.Values[i] * (double)q.Scales[i / columns * 3 + i % columns / 32], back[i], 1e-6 * Math.Abs(back[i]));
    }

    [Fact]
    public void StackingKeepsEachMatrixsBlocks()
    {
        var rng = new Random(9);
        Q8Matrix a = Q8Matrix.Quantize(TestData.Normal(rng, 2 * 40), 2, 40), b = Q8Matrix.Quantize(TestData.Normal(rng, 3 * 40), 3, 40);
        float[] stacked = Q8Matrix.Stack([a, b]).Dequantize();
        Assert.Equal(a.Dequantize().Concat(b.Dequantize()), stacked);
    }

    [Fact]
    public void Int8StorageHoldsMatricesOnly()
    {
        ComputeDevice device = TestDevices.Get("cpu");
        Assert.Throws<ArgumentException>(() => StorageTensor.Upload(device, Precision.Int8, new float[8], 8));
        Assert.Throws<ArgumentException>(() => StorageTensor.Allocate(device, Precision.Int8, 2, 4));
        using var t = StorageTensor.Upload(device, Precision.Int8, new float[2 * 40], 2, 40);
        Assert.Equal(Precision.Int8, t.Precision);
        Assert.Equal(2 * 40 + 2 * 2 * 4, t.Bytes); // int8 values and two float32 scales per row
    }

    public static IEnumerable<object[]> RowBlockedShapes() =>
    [
        [1, 1, 1], [1, 7, 5], [2, 64, 64], [3, 17, 33], [5, 9, 130], [13, 31, 7], [4, 1, 3], [6, 5, 70], [9, 10, 31],
        [3, 5, 1100], [5, 2, 2070], // K past one staged range of 1024 (and a short last block)
        // K a multiple of 32 up to 1024: 4 rows dequantised as one run, but for a last block of
        // rows that N cuts short; 1056 takes ranges again
        [3, 10, 96], [6, 8, 1024], [2, 4, 1056],
    ];

    [Theory, CpuCases(nameof(RowBlockedShapes)), OpenClCases(nameof(RowBlockedShapes))]
    public void RowBlockedMatchesReference(string backend, int m, int n, int k) =>
        GpuGemmTests.AssertMatchesReference(backend, Precision.Int8, m, n, k,
            (ops, x, w, y, accumulate) => ops.GemmRowBlocked(x, w, y, m, n, k, accumulate));

    public static IEnumerable<object[]> GpuCases() =>
    [
        ["gemv", 1, 1, 1], ["gemv", 2, 65, 64], ["gemv", 7, 63, 48], ["gemv", 63, 5, 17], ["gemv", 5, 17, 600],
        ["tiled", 1, 1, 1], ["tiled", 65, 63, 70], ["tiled", 129, 127, 40],
        ["chosen", 8, 96, 64], ["chosen", 64, 128, 33],
    ];

    [Theory, OpenClGpuCases(nameof(GpuCases)), NvidiaSimulatorCases(nameof(GpuCases))]
    public void GpuKernelsMatchReference(string backend, string kernel, int m, int n, int k) =>
        GpuGemmTests.AssertMatchesReference(backend, Precision.Int8, m, n, k, (ops, x, w, y, accumulate) =>
        {
            if (kernel == "gemv")
                ops.GemmGemv(x, w, y, m, n, k, accumulate);
            else if (kernel == "tiled")
                ops.GemmTiled(x, w, y, m, n, k, accumulate);
            else
                ops.Gemm(x, w, y, m, n, k, accumulate);
        });
}
