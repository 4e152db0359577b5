using ILGPU;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The multiply-adds shared by the CPU GEMMs whose weights are decoded before use (float16 in
/// <see cref="GemmFp16Kernels"/>, q8_0 in <see cref="GemmInt8Kernels"/>): a thread has decoded its
/// 4 rows of W, n0 .. n0+3, for a range of k into private memory, wc[r * stride + j] =
/// w[n0 + r, c0 + j] (j &lt; length), and multiplies them with every row of x. Decoding first keeps
/// the decode a map (no sums) and each weight is decoded once per launch whatever M is; the loops
/// here are the register-blocked kernel's (<see cref="GemmKernels.RowBlocked"/>), which PoCL
/// vectorises along j with one horizontal sum per loop.
/// </summary>
internal static class GemmDecodedRows
{
    /// <summary>
    /// y[m, n0 .. n0+3] (+)= sum_{j &lt; length} x[m, c0 + j] wc[n - n0][j] for every row m of x:
    /// 4 x 4 register blocks over the blocks of 4 rows and a 2 x 4 block for a last one or two rows
    /// (rows past M repeat the last; their sums are not stored). Stores or accumulates as
    /// <paramref name="s"/> says; outputs past N are not stored.
    /// </summary>
    public static void MultiplyAllRows(ArrayView<float> x, ArrayView<float> wc, int stride, ArrayView<float> y, GemmShape s,
        int n0, int c0, int length)
    {
        int m0 = 0;
        for (; m0 + 2 < s.M; m0 += GemmKernels.RowBlock)
            Multiply4(x, wc, stride, y, s, m0, n0, c0, length);
        if (m0 < s.M)
            Multiply2(x, wc, stride, y, s, m0, n0, c0, length);
    }

    /// <summary>y[m0 .. m0+3, n0 .. n0+3] (+)= x[m, c0 .. c0+length) wc[n][0 .. length)^T.</summary>
    private static void Multiply4(ArrayView<float> x, ArrayView<float> wc, int stride, ArrayView<float> y, GemmShape s,
        int m0, int n0, int c0, int length)
    {
        ArrayView<float> x0 = XChunk(x, s, m0, c0, length), x1 = XChunk(x, s, m0 + 1, c0, length);
        ArrayView<float> x2 = XChunk(x, s, m0 + 2, c0, length), x3 = XChunk(x, s, m0 + 3, c0, length);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0; // a[m][n]
        for (int j = 0; j < length; j++)
        {
            float p0 = x0[j], p1 = x1[j], p2 = x2[j], p3 = x3[j];
            float v0 = wc[j], v1 = wc[stride + j], v2 = wc[2 * stride + j], v3 = wc[3 * stride + j];
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
    private static void Multiply2(ArrayView<float> x, ArrayView<float> wc, int stride, ArrayView<float> y, GemmShape s,
        int m0, int n0, int c0, int length)
    {
        ArrayView<float> x0 = XChunk(x, s, m0, c0, length), x1 = XChunk(x, s, m0 + 1, c0, length);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0; // a[m][n]
        for (int j = 0; j < length; j++)
        {
            float p0 = x0[j], p1 = x1[j];
            float v0 = wc[j], v1 = wc[stride + j], v2 = wc[2 * stride + j], v3 = wc[3 * stride + j];
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
