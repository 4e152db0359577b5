using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// The tensor-core GEMM (Kernels/GemmTensorCores.cs): its index math on the NVIDIA-like simulator
/// with the mma emulated from the PTX ISA's fragment tables, its CPU form (activations rounded to
/// fp16 before the row-blocked kernel), the fragment tables themselves, and where it may run.
/// On the simulator the shapes stay at a few groups: each emulated mma is two group barriers.
/// </summary>
public class TensorCoreGemmTests
{
    /// <summary>Shapes around the 64 x 64 tile and the K-slice of 32: one group, edges, a second slice.</summary>
    public static IEnumerable<object[]> SimulatorShapes() =>
        new (int M, int N, int K)[] { (1, 1, 2), (64, 64, 32), (65, 63, 48), (16, 72, 17), (130, 8, 64) }
            .Select(c => new object[] { c.M, c.N, c.K });

    /// <summary>The kernel with its mma emulated, through Ops.Gemm on a device opened with tensor cores (the dispatch too).</summary>
    [Theory, NvidiaSimulatorTensorCoreCases(nameof(SimulatorShapes))]
    public void EmulatedKernelMatchesTheReference(string backend, int m, int n, int k)
    {
        ComputeDevice device = TestDevices.Get(backend);
        Assert.Equal(GemmVariant.TensorCores, device.Profile.Gemm);
        AssertMatchesReference(device, m, n, k, (ops, x, w, y, accumulate) => ops.Gemm(x, w, y, m, n, k, accumulate));
    }

    /// <summary>K split into 2 and 3 ranges (each a multiple of 8, not of the slice of 32) on the simulator.</summary>
    public static IEnumerable<object[]> SplitShapes() =>
        new (int M, int N, int K, int Splits)[] { (65, 63, 96, 2), (16, 72, 100, 3) }.Select(c => new object[] { c.M, c.N, c.K, c.Splits });

    [Theory, NvidiaSimulatorTensorCoreCases(nameof(SplitShapes))]
    public void EmulatedKernelWithKSplitMatchesTheReference(string backend, int m, int n, int k, int splits) =>
        AssertMatchesReference(TestDevices.Get(backend), m, n, k, (ops, x, w, y, accumulate) =>
            ops.GemmTensorCores(x, w.F16!.View, y, new GemmShape(m, n, k, accumulate ? 1 : 0), new GemmTiling(64, splits)));

    public static IEnumerable<object[]> CpuShapes() =>
        new (int M, int N, int K)[] { (1, 1, 1), (3, 5, 7), (64, 65, 63), (130, 33, 100) }.Select(c => new object[] { c.M, c.N, c.K });

    /// <summary>The CPU's form of the arithmetic (what the fixture measurement runs), through Ops.Gemm.</summary>
    [Theory, CpuTensorCoreCases(nameof(CpuShapes))]
    public void CpuFormMatchesTheReference(string backend, int m, int n, int k) =>
        AssertMatchesReference(TestDevices.Get(backend), m, n, k,
            (ops, x, w, y, accumulate) => ops.Gemm(x, w, y, m, n, k, accumulate));

    /// <summary>Each layout of <see cref="MmaLayout"/> gives every element of its tile to exactly one (lane, element).</summary>
    [Fact]
    public void FragmentLayoutsCoverEachTileOnce()
    {
        var lanes = Enumerable.Range(0, 32).ToArray();
        AssertCoversOnce(16, 16, lanes.SelectMany(l => Enumerable.Range(0, 8).Select(i => (MmaLayout.ARow(l, i), MmaLayout.ACol(l, i)))));
        AssertCoversOnce(16, 8, lanes.SelectMany(l => Enumerable.Range(0, 4).Select(i => (MmaLayout.BRow(l, i), MmaLayout.BCol(l)))));
        AssertCoversOnce(16, 8, lanes.SelectMany(l => Enumerable.Range(0, 4).Select(i => (MmaLayout.CRow(l, i), MmaLayout.CCol(l, i)))));
        // the PTX ISA's examples: lane 5 (group 1, thread 1) holds a2 = A[9, 2], b3 = B[11, 1], c1 = C[1, 3]
        Assert.Equal((9, 2), (MmaLayout.ARow(5, 2), MmaLayout.ACol(5, 2)));
        Assert.Equal((11, 1), (MmaLayout.BRow(5, 3), MmaLayout.BCol(5)));
        Assert.Equal((1, 3), (MmaLayout.CRow(5, 1), MmaLayout.CCol(5, 1)));
    }

    /// <summary>Tensor cores on the GPU profile are refused where the kernel's inline PTX would not run (here PoCL).</summary>
    [Fact]
    public void GpuProfileRefusesTensorCoresOffCuda()
    {
        if (TestDevices.OpenClSkipReason is not null)
            return;
        var e = Assert.Throws<InvalidInputException>(() => ComputeDevice.Open(DeviceSpec.Parse("opencl"), KernelProfile.Gpu, tensorCores: true));
        Assert.Contains("compute capability 8.0", e.Message);
    }

    /// <summary>The profile's tensor-core GEMM is what a device opened with tensor cores runs; others keep the plain one.</summary>
    [Fact]
    public void TensorCoresSelectTheProfilesTensorCoreGemm()
    {
        Assert.Equal(GemmVariant.RowBlockedFp16Activations, TestDevices.Get("cpu" + TestDevices.TensorCores).Profile.Gemm);
        Assert.Equal(GemmVariant.RowBlocked, TestDevices.Get("cpu").Profile.Gemm);
        Assert.Equal(GemmVariant.TensorCores, DeviceProfile.Gpu.TensorCoreGemm);
        Assert.Equal(GemmVariant.GpuTiles, DeviceProfile.Gpu.Gemm);
    }

    private static void AssertCoversOnce(int rows, int cols, IEnumerable<(int Row, int Col)> elements)
    {
        var all = elements.ToList();
        Assert.Equal(rows * cols, all.Count);
        Assert.Equal(rows * cols, all.Distinct().Count());
        Assert.All(all, e => Assert.True(e.Row is >= 0 && e.Row < rows && e.Col >= 0 && e.Col < cols, $"{e} outside {rows} x {cols}"));
    }

    private delegate void GemmCall(Ops ops, ILGPU.ArrayView<float> x, StorageTensor w, ILGPU.ArrayView<float> y, bool accumulate);

    /// <summary>
    /// Runs <paramref name="gemm"/> accumulating, then overwriting, on fp16 weights, against the
    /// reference with x rounded to fp16; and checks that the rounding happened (x is drawn so that
    /// the unrounded product differs).
    /// </summary>
    private static void AssertMatchesReference(ComputeDevice device, int m, int n, int k, GemmCall gemm)
    {
        var rng = new Random(m + 7 * n + 31 * k);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k), y0 = TestData.Normal(rng, m * n);
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var tw = StorageTensor.Upload(device, Precision.Fp16, w, n, k);
        using var ty = Tensor<float>.FromArray(device, y0, m, n);
        float[] stored = tw.ToFloatArray();
        // products of fp16 values are exact in float32; float32 sums of k of them against double
        float atol = 1e-4f * MathF.Sqrt(k);
        gemm(device.Ops, tx.View, tw, ty.View, true);
        TestData.AssertClose(TensorCoreGemmReference.Gemm(x, stored, y0, m, n, k), ty.ToArray(), rtol: 1e-4f, atol: atol);
        gemm(device.Ops, tx.View, tw, ty.View, false);
        float[] result = ty.ToArray();
        TestData.AssertClose(TensorCoreGemmReference.Gemm(x, stored, null, m, n, k), result, rtol: 1e-4f, atol: atol);
        float[] unrounded = GemmReference.Gemm(x, stored, null, m, n, k);
        Assert.True(k < 4 || result.Zip(unrounded).Any(p => Math.Abs(p.First - p.Second) > 2e-5f * (1 + Math.Abs(p.Second))),
            "the result equals the product of the unrounded activations: x was not rounded to fp16");
    }
}
