using ArpgIlgpu.Runtime;
using ILGPU;

namespace ArpgIlgpu.Kernels;

/// <summary>The GEMM of float16 weights for host CPUs (the row-blocked profile).</summary>
internal static class GemmFp16Kernels
{
    /// <summary>K-values of each W row that <see cref="RowBlockedFp16"/> converts at a time.</summary>
    public const int Chunk = 1024;

    /// <summary>
    /// Rows of x up to which the fp16 GEMM converts each weight inside the multiply-add loop
    /// (<see cref="GemmKernels.RowBlocked{TW, SW}"/> with <see cref="FiniteFp16Storage"/>), at most
    /// twice (two register blocks of x), rather than once into a chunk (<see cref="RowBlockedFp16"/>).
    /// In the loop, the conversions' loads from memory overlap the multiply-adds; a pass that only
    /// converts has nothing to overlap them with and waits on memory, which at the 2 - 8 rows of
    /// batch-1 decoding costs more than converting twice. From 9 rows on, converting once wins.
    /// </summary>
    public const int MaxRowsConvertedInLoop = 2 * GemmKernels.RowBlock;

    /// <summary>
    /// y[m, n] (+)= sum_k x[m, k] w[n, k] with w in float16 bits, each weight converted once:
    /// x: [M, K] float32, w: [N, K] half bits, y: [M, N]. One thread per block of 4 rows of W
    /// (n0 .. n0+3, rows past N repeat the last; their sums are never stored). For each chunk
    /// of 1024 k it converts its 4 W rows into wc[4][1024] (16 KB of private memory, in L1) with
    /// <see cref="Float16.ToFloatFinite"/> (exact for every finite half), then multiplies them with
    /// every row of x (<see cref="GemmRegisterBlocks.MultiplyAllRows"/>) and adds the chunk's sums
    /// into y (the first chunk stores or accumulates as the shape says). Each chunk ends in 16
    /// horizontal sums and a read-modify-write of y per block of rows of x, so K = 1024 (every
    /// ARPG projection but the feed-forward's second) is one chunk: chunks of 256 took 1.3 - 1.6x
    /// as long at 2 - 14 rows x 1024 x 1024 on PoCL.
    /// The register-blocked kernel with fp16 storage converts each weight once per block of
    /// 4 rows of x, on the 16 multiply-adds of each k; here the conversion is paid once whatever M,
    /// which pays from <see cref="MaxRowsConvertedInLoop"/> + 1 rows on (Ops.GemmRowBlockedFp16
    /// picks). Bound: the multiply-adds.
    /// </summary>
    [Kernel]
    public static void RowBlockedFp16(Index1D index, ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, GemmShape s)
    {
        const int b = GemmKernels.RowBlock;
        ArrayView<float> wc = LocalMemory.Allocate<float>(b * Chunk); // [n][k]
        int n0 = index * b;
        for (int c0 = 0; c0 < s.K; c0 += Chunk)
        {
            int length = Math.Min(Chunk, s.K - c0);
            for (int r = 0; r < b; r++)
            {
                ArrayView<ushort> row = w.SubView((long)Math.Min(n0 + r, s.N - 1) * s.K + c0, length);
                for (int j = 0; j < length; j++)
                    wc[r * Chunk + j] = Float16.ToFloatFinite(row[j]);
            }
            var chunk = new GemmShape(s.M, s.N, s.K, c0 == 0 ? s.Accumulate : 1);
            GemmRegisterBlocks.MultiplyAllRows(x, wc, Chunk, y, chunk, n0, c0, length);
        }
    }
}
