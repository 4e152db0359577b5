using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Equal-shaped GEMMs laid out at fixed distances: matrix b of x starts at b * XStride, of w at
/// b * WStride, of y at b * YStride (floats).
/// </summary>
/// <param name="Count">Matrices.</param>
/// <param name="XStride">Floats from one x to the next.</param>
/// <param name="WStride">Floats from one w to the next.</param>
/// <param name="YStride">Floats from one y to the next.</param>
public readonly record struct GemmBatch(int Count, long XStride, long WStride, long YStride);

/// <summary>Batched matrix multiplication for host CPUs.</summary>
internal static class GemmBatchedKernels
{
    /// <summary>
    /// y_b[M,N] (+)= x_b[M,K] w_b[N,K]^T for b &lt; Count in one launch: index = b * blocks + i, i
    /// the register block of <see cref="GemmKernels.RowBlocked"/> (4 x 4 outputs) within matrix b.
    /// One launch instead of Count keeps both cores busy to the end and pays PoCL's launch once (the
    /// Winograd convolution's 36 products of a pass took 0.2 - 0.8 ms each).
    /// </summary>
    [Kernel]
    public static void RowBlocked(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, GemmShape s,
        GemmBatch batch)
    {
        int blocks = (int)GemmKernels.RegisterBlocks(s), b = index / blocks;
        GemmKernels.Block<float, Fp32Storage>(index % blocks, x.SubView(b * batch.XStride, (long)s.M * s.K),
            w.SubView(b * batch.WStride, (long)s.N * s.K), y.SubView(b * batch.YStride, (long)s.M * s.N), s);
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmBatch>? gemmBatched;

    /// <summary>
    /// y_b = x_b w_b^T (or y_b += x_b w_b^T when <paramref name="accumulate"/>) for the matrices of
    /// <paramref name="batch"/>: one launch of the batched register-blocked kernel under the
    /// row-blocked profile, one GEMM per matrix under the others.
    /// </summary>
    internal void GemmBatched(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        GemmBatch batch, bool accumulate = false)
    {
        if (batch.Count == 0)
            return;
        Require(x, (batch.Count - 1) * batch.XStride + (long)m * k, "GemmBatched x");
        Require(w, (batch.Count - 1) * batch.WStride + (long)n * k, "GemmBatched w");
        Require(y, (batch.Count - 1) * batch.YStride + (long)m * n, "GemmBatched y");
        if (Choose(m) != GemmKernel.RowBlocked)
        {
            for (int b = 0; b < batch.Count; b++)
                Gemm(x.SubView(b * batch.XStride, (long)m * k), w.SubView(b * batch.WStride, (long)n * k),
                    y.SubView(b * batch.YStride, (long)m * n), m, n, k, accumulate);
            return;
        }
        if (m == 0 || n == 0)
            return;
        gemmBatched ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, GemmShape, GemmBatch>(GemmBatchedKernels.RowBlocked, ImplicitGroupSize);
        var shape = new GemmShape(m, n, k, accumulate ? 1 : 0);
        gemmBatched(checked((int)(batch.Count * GemmKernels.RegisterBlocks(shape))), x, w, y, shape, batch);
    }
}
