using ArpgIlgpu.Runtime;
using ILGPU;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>The GEMM of float16 weights for host CPUs (the row-blocked profile).</summary>
internal static class GemmFp16Kernels
{
    /// <summary>K-values of each W row that <see cref="RowBlockedFp16"/> converts at a time.</summary>
    public const int Chunk = 256;

    /// <summary>
    /// y[m, n] (+)= sum_k x[m, k] w[n, k] with w in float16 bits, each weight converted once:
    /// x: [M, K] float32, w: [N, K] half bits, y: [M, N]. One thread per block of 4 rows of W
    /// (n0 .. n0+3, rows past N repeat the last; their sums are never stored). For each chunk
    /// of 256 k it converts its 4 W rows into wc[4][256] (4 KB of private memory, in L1) with
    /// <see cref="Float16.ToFloatFinite"/> (exact for every finite half), then runs 4 x 4 register
    /// blocks over the blocks of 4 rows of x and a 2 x 4 block for a last one or two rows (rows
    /// past M repeat the last) and adds the chunk's sums into y (the first chunk stores or
    /// accumulates as the shape says).
    /// The register-blocked kernel with fp16 storage converts each weight once per block of
    /// 4 rows of x, on the 16 multiply-adds of each k; here the conversion is paid once whatever M.
    /// Bound: the conversion at small M (a CPU core converts fewer weights per cycle than memory
    /// delivers), the multiply-adds at larger M.
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
            int m0 = 0;
            for (; m0 + 2 < s.M; m0 += b)
                MultiplyChunk(x, wc, y, chunk, m0, n0, c0, length);
            if (m0 < s.M)
                MultiplyChunk2(x, wc, y, chunk, m0, n0, c0, length);
        }
    }

    /// <summary>y[m0 .. m0+3, n0 .. n0+3] (+)= x[m, c0 .. c0+length) wc[n][0 .. length)^T.</summary>
    private static void MultiplyChunk(ArrayView<float> x, ArrayView<float> wc, ArrayView<float> y, GemmShape s,
        int m0, int n0, int c0, int length)
    {
        ArrayView<float> x0 = XChunk(x, s, m0, c0, length), x1 = XChunk(x, s, m0 + 1, c0, length);
        ArrayView<float> x2 = XChunk(x, s, m0 + 2, c0, length), x3 = XChunk(x, s, m0 + 3, c0, length);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0; // a[m][n]
        for (int j = 0; j < length; j++)
        {
            float p0 = x0[j], p1 = x1[j], p2 = x2[j], p3 = x3[j];
            float v0 = wc[j], v1 = wc[Chunk + j], v2 = wc[2 * Chunk + j], v3 = wc[3 * Chunk + j];
            a00 = Mad(p0, v0, a00); a01 = Mad(p0, v1, a01); a02 = Mad(p0, v2, a02); a03 = Mad(p0, v3, a03);
            a10 = Mad(p1, v0, a10); a11 = Mad(p1, v1, a11); a12 = Mad(p1, v2, a12); a13 = Mad(p1, v3, a13);
            a20 = Mad(p2, v0, a20); a21 = Mad(p2, v1, a21); a22 = Mad(p2, v2, a22); a23 = Mad(p2, v3, a23);
            a30 = Mad(p3, v0, a30); a31 = Mad(p3, v1, a31); a32 = Mad(p3, v2, a32); a33 = Mad(p3, v3, a33);
        }
        GemmKernels.StoreRow(y, s, m0, n0, a00, a01, a02, a03);
        GemmKernels.StoreRow(y, s, m0 + 1, n0, a10, a11, a12, a13);
        GemmKernels.StoreRow(y, s, m0 + 2, n0, a20, a21, a22, a23);
        GemmKernels.StoreRow(y, s, m0 + 3, n0, a30, a31, a32, a33);
    }

    /// <summary>y[m0 .. m0+1, n0 .. n0+3] (+)= x[m, c0 .. c0+length) wc[n][0 .. length)^T: the last one or two rows of x.</summary>
    private static void MultiplyChunk2(ArrayView<float> x, ArrayView<float> wc, ArrayView<float> y, GemmShape s,
        int m0, int n0, int c0, int length)
    {
        ArrayView<float> x0 = XChunk(x, s, m0, c0, length), x1 = XChunk(x, s, m0 + 1, c0, length);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0; // a[m][n]
        for (int j = 0; j < length; j++)
        {
            float p0 = x0[j], p1 = x1[j];
            float v0 = wc[j], v1 = wc[Chunk + j], v2 = wc[2 * Chunk + j], v3 = wc[3 * Chunk + j];
            a00 = Mad(p0, v0, a00); a01 = Mad(p0, v1, a01); a02 = Mad(p0, v2, a02); a03 = Mad(p0, v3, a03);
            a10 = Mad(p1, v0, a10); a11 = Mad(p1, v1, a11); a12 = Mad(p1, v2, a12); a13 = Mad(p1, v3, a13);
        }
        GemmKernels.StoreRow(y, s, m0, n0, a00, a01, a02, a03);
        GemmKernels.StoreRow(y, s, m0 + 1, n0, a10, a11, a12, a13);
    }

    /// <summary>x[m, c0 .. c0+length) (rows past M repeat the last).</summary>
    private static ArrayView<float> XChunk(ArrayView<float> x, GemmShape s, int m, int c0, int length) =>
        x.SubView((long)Math.Min(m, s.M - 1) * s.K + c0, length);
}
