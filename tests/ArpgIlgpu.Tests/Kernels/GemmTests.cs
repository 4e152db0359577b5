using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class GemmTests
{
    public static IEnumerable<object[]> Shapes() =>
    [
        [1, 1, 1], [1, 7, 5], [2, 64, 64], [3, 17, 33], [5, 9, 130], [6, 10, 40], [13, 31, 7], [4, 1, 3],
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
        float[] product = GemmReference.Gemm(x, w, null, m, n, k);
        // float32 sums of k products against a double reference: relative 1e-4 plus a small
        // absolute term for sums that cancel towards zero.
        TestData.AssertClose(product, ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));

        ty.Upload(y0);
        device.Ops.GemmRowBlocked(tx.View, tw.View, ty.View, m, n, k, accumulate: true);
        TestData.AssertClose(GemmReference.Gemm(x, w, y0, m, n, k), ty.ToArray(),
            rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
    }

    /// <summary>
    /// The batched GEMM (the Winograd convolution's 36 products): 3 matrices at padded distances,
    /// each checked against the reference, overwriting and accumulating; the padding between them
    /// stays untouched. On the GPU simulator the batch runs as one GEMM per matrix.
    /// </summary>
    [Theory, CpuCases(nameof(BatchedShapes)), OpenClCases(nameof(BatchedShapes)), NvidiaSimulatorCases(nameof(BatchedShapes))]
    public void BatchedMatchesScalarReferencePerMatrix(string backend, int m, int n, int k)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int count = 3, pad = 5;
        var batch = new GemmBatch(count, (long)m * k + pad, (long)n * k + pad, (long)m * n + pad);
        var rng = new Random(m * 1000 + n * 10 + k);
        float[] x = TestData.Normal(rng, (int)(count * batch.XStride)), w = TestData.Normal(rng, (int)(count * batch.WStride));
        float[] y0 = TestData.Normal(rng, (int)(count * batch.YStride));
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var tw = Tensor<float>.FromArray(device, w, w.Length);
        using var ty = Tensor<float>.FromArray(device, y0, y0.Length);
        foreach (bool accumulate in new[] { false, true })
        {
            ty.Upload(y0);
            device.Ops.GemmBatched(tx.View, tw.View, ty.View, m, n, k, batch, accumulate);
            float[] y = ty.ToArray();
            for (int b = 0; b < count; b++)
            {
                float[] xb = x.AsSpan((int)(b * batch.XStride), m * k).ToArray(), wb = w.AsSpan((int)(b * batch.WStride), n * k).ToArray();
                float[]? initial = accumulate ? y0.AsSpan((int)(b * batch.YStride), m * n).ToArray() : null;
                TestData.AssertClose(GemmReference.Gemm(xb, wb, initial, m, n, k), y.AsSpan((int)(b * batch.YStride), m * n),
                    rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k), $"matrix {b}, accumulate {accumulate}");
                Assert.Equal(y0.AsSpan((int)(b * batch.YStride) + m * n, pad).ToArray(), y.AsSpan((int)(b * batch.YStride) + m * n, pad).ToArray());
            }
        }
    }

    public static IEnumerable<object[]> BatchedShapes() => [[1, 1, 1], [5, 9, 130], [8, 13, 7]];

    /// <summary>
    /// Every edge of both fp16 kernels (converting in the loop up to 8 rows of x, into chunks from
    /// 9): rows of x in blocks of 4 with a tail of 1 - 3, N past a multiple of 4, K past a chunk of 1024.
    /// </summary>
    public static IEnumerable<object[]> Fp16Shapes() =>
    [
        [1, 1, 1], [2, 5, 3], [3, 6, 1025], [4, 8, 1024], [5, 7, 600], [6, 9, 1023], [7, 3, 2049], [8, 4, 33],
        [9, 13, 70], [10, 6, 1025], [11, 5, 2049], [16, 8, 1024],
    ];

    [Theory, CpuCases(nameof(Fp16Shapes)), OpenClCases(nameof(Fp16Shapes))]
    public void Fp16RowBlockedMatchesScalarReference(string backend, int m, int n, int k)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(m * 1000 + n * 10 + k);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k), y0 = TestData.Normal(rng, m * n);
        float[] rounded = w.Select(v => (float)(Half)v).ToArray();
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var tw = StorageTensor.Upload(device, Precision.Fp16, w, n, k);
        using var ty = Tensor<float>.FromArray(device, y0, m, n);

        var s = new GemmShape(m, n, k, 0);
        device.Ops.GemmRowBlockedFp16(tx.View, tw.F16!.View, ty.View, s);
        TestData.AssertClose(GemmReference.Gemm(x, rounded, null, m, n, k), ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));

        ty.Upload(y0);
        device.Ops.GemmRowBlockedFp16(tx.View, tw.F16!.View, ty.View, s with { Accumulate = 1 });
        TestData.AssertClose(GemmReference.Gemm(x, rounded, y0, m, n, k), ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
    }
}
