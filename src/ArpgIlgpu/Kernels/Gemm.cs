using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Shape of <c>Y[M,N] (+)= X[M,K] W[N,K]^T</c>: PyTorch's Linear layout, so weights are used as
/// the checkpoint stores them. Accumulate = 1 adds into Y (a residual connection for free),
/// 0 overwrites it.
/// </summary>
public readonly record struct GemmShape(int M, int N, int K, int Accumulate);

/// <summary>Matrix multiplication kernels.</summary>
internal static class GemmKernels
{
    /// <summary>Rows of X each thread handles: W's row is read once for all of them.</summary>
    public const int RowBlock = 4;

    /// <summary>
    /// Barrier-free GEMM, one thread per (block of 4 rows of X, column n):
    ///   y[m, n] (+)= sum_k x[m, k] w[n, k]   for m in m0 .. m0+3.
    /// x: [M, K], w: [N, K], y: [M, N]. At small M (decoding: 2 rows per image) this is a GEMV
    /// that streams each weight row once per 4 rows; the four accumulators are independent, which
    /// gives the CPU's and the GPU's pipelines four multiply-adds in flight.
    /// </summary>
    [Kernel]
    public static void RowBlocked(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, GemmShape s)
    {
        int i = index;
        int n = i % s.N;
        int m0 = i / s.N * RowBlock;
        int rows = Math.Min(RowBlock, s.M - m0);
        long k = s.K;
        long wRow = n * k;
        // Rows past M repeat row m0, so every load stays in bounds; their sums are never stored.
        long x0 = m0 * k;
        long x1 = rows > 1 ? x0 + k : x0;
        long x2 = rows > 2 ? x0 + 2 * k : x0;
        long x3 = rows > 3 ? x0 + 3 * k : x0;
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
        for (long c = 0; c < k; c++)
        {
            float wk = w[wRow + c];
            a0 += x[x0 + c] * wk;
            a1 += x[x1 + c] * wk;
            a2 += x[x2 + c] * wk;
            a3 += x[x3 + c] * wk;
        }
        Store(y, s, m0, n, a0);
        if (rows > 1) Store(y, s, m0 + 1, n, a1);
        if (rows > 2) Store(y, s, m0 + 2, n, a2);
        if (rows > 3) Store(y, s, m0 + 3, n, a3);
    }

    private static void Store(ArrayView<float> y, GemmShape s, int m, int n, float value)
    {
        long at = (long)m * s.N + n;
        y[at] = s.Accumulate != 0 ? y[at] + value : value;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>? gemmRowBlocked;

    /// <summary>y[M,N] = x[M,K] w[N,K]^T, or y += x w^T when <paramref name="accumulate"/>.</summary>
    public void Gemm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false)
    {
        Require(x, (long)m * k, "Gemm x");
        Require(w, (long)n * k, "Gemm w");
        Require(y, (long)m * n, "Gemm y");
        if (m == 0 || n == 0)
            return;
        var shape = new GemmShape(m, n, k, accumulate ? 1 : 0);
        gemmRowBlocked ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, GemmShape>(GemmKernels.RowBlocked);
        int rowBlocks = (m + GemmKernels.RowBlock - 1) / GemmKernels.RowBlock;
        gemmRowBlocked(checked(rowBlocks * n), x, w, y, shape);
    }
}
