using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
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
        float[] product = GemmReference.Gemm(x, w, null, m, n, k);
        // float32 sums of k products against a double reference: relative 1e-4 plus a small
        // absolute term for sums that cancel towards zero.
        TestData.AssertClose(product, ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));

        ty.Upload(y0);
        device.Ops.GemmRowBlocked(tx.View, tw.View, ty.View, m, n, k, accumulate: true);
        TestData.AssertClose(GemmReference.Gemm(x, w, y0, m, n, k), ty.ToArray(),
            rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
    }

    /// <summary>Every edge of the fp16 kernel: rows of x in blocks of 4 with a tail of 1 - 3, N past a multiple of 4, K past a chunk of 256.</summary>
    public static IEnumerable<object[]> Fp16Shapes() =>
    [
        [1, 1, 1], [2, 5, 3], [3, 6, 257], [4, 8, 256], [5, 7, 600], [6, 9, 255], [7, 3, 513], [9, 13, 70],
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
