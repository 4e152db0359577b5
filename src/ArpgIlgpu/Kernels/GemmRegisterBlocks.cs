using ArpgIlgpu.Runtime;
using ILGPU;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The register blocks of the CPU GEMMs: y[m, n0 .. n0+3] (+)= sum_j x[m, c0 + j] w_r[j] over a
/// range of k, w_0 .. w_3 four rows of W given as views (j &lt; length). The float32 kernel
/// (<see cref="GemmKernels.RowBlocked"/>) passes rows of the weight matrix; the kernels whose
/// weights are decoded first (float16 in <see cref="GemmFp16Kernels"/>, q8_0 in
/// <see cref="GemmInt8Kernels"/>) pass rows of the private buffer they decoded a range of k into,
/// so that a decode is a map (no sums) and each weight is decoded once per launch whatever M is.
/// PoCL vectorises each loop along j, with one horizontal sum per output where it ends.
/// </summary>
internal static class GemmRegisterBlocks
{
    /// <summary>
    /// Rows m0 .. m0+3 of x against the 4 rows of W: a 4 x 4 block (4 x's and 4 w's per k for 16
    /// multiply-adds), or a 2 x 4 block (8) when at most 2 rows of x are left from m0, so that
    /// M = 2 and M = 6, which batch-1 decoding with guidance mostly runs, spend no multiply-adds
    /// on repeated rows. Rows past M repeat the last (loads in bounds); their sums are not stored.
    /// Stores or accumulates as <paramref name="s"/> says; outputs past N are not stored.
    /// </summary>
    public static void Multiply<TW, SW>(ArrayView<float> x, GemmShape s, int m0, int c0, int length,
        ArrayView<TW> w0, ArrayView<TW> w1, ArrayView<TW> w2, ArrayView<TW> w3, ArrayView<float> y, int n0)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        if (s.M - m0 > 2)
            Multiply4<TW, SW>(x, s, m0, c0, length, w0, w1, w2, w3, y, n0);
        else
            Multiply2<TW, SW>(x, s, m0, c0, length, w0, w1, w2, w3, y, n0);
    }

    /// <summary>
    /// <see cref="Multiply"/> for every row of x against rows n0 .. n0+3 that a kernel decoded into
    /// wc[r * stride + j] = w[n0 + r, c0 + j] (j &lt; length).
    /// </summary>
    public static void MultiplyAllRows(ArrayView<float> x, ArrayView<float> wc, int stride, ArrayView<float> y, GemmShape s,
        int n0, int c0, int length)
    {
        ArrayView<float> w0 = wc.SubView(0, length), w1 = wc.SubView(stride, length);
        ArrayView<float> w2 = wc.SubView(2 * stride, length), w3 = wc.SubView(3 * stride, length);
        for (int m0 = 0; m0 < s.M; m0 += GemmKernels.RowBlock)
            Multiply<float, Fp32Storage>(x, s, m0, c0, length, w0, w1, w2, w3, y, n0);
    }

    /// <summary>y[m0 .. m0+3, n0 .. n0+3] (+)= x[m, c0 .. c0+length) w_r[0 .. length)^T.</summary>
    private static void Multiply4<TW, SW>(ArrayView<float> x, GemmShape s, int m0, int c0, int length,
        ArrayView<TW> w0, ArrayView<TW> w1, ArrayView<TW> w2, ArrayView<TW> w3, ArrayView<float> y, int n0)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        SW storage = default;
        ArrayView<float> x0 = XChunk(x, s, m0, c0, length), x1 = XChunk(x, s, m0 + 1, c0, length);
        ArrayView<float> x2 = XChunk(x, s, m0 + 2, c0, length), x3 = XChunk(x, s, m0 + 3, c0, length);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0; // a[m][n]
        for (int j = 0; j < length; j++)
        {
            float p0 = x0[j], p1 = x1[j], p2 = x2[j], p3 = x3[j];
            float v0 = storage.Load32(w0, j), v1 = storage.Load32(w1, j), v2 = storage.Load32(w2, j), v3 = storage.Load32(w3, j);
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

    /// <summary>y[m0 .. m0+1, n0 .. n0+3] (+)= x[m, c0 .. c0+length) w_r[0 .. length)^T: the last one or two rows of x.</summary>
    private static void Multiply2<TW, SW>(ArrayView<float> x, GemmShape s, int m0, int c0, int length,
        ArrayView<TW> w0, ArrayView<TW> w1, ArrayView<TW> w2, ArrayView<TW> w3, ArrayView<float> y, int n0)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        SW storage = default;
        ArrayView<float> x0 = XChunk(x, s, m0, c0, length), x1 = XChunk(x, s, m0 + 1, c0, length);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0; // a[m][n]
        for (int j = 0; j < length; j++)
        {
            float p0 = x0[j], p1 = x1[j];
            float v0 = storage.Load32(w0, j), v1 = storage.Load32(w1, j), v2 = storage.Load32(w2, j), v3 = storage.Load32(w3, j);
            a00 = Mad(p0, v0, a00); a01 = Mad(p0, v1, a01); a02 = Mad(p0, v2, a02); a03 = Mad(p0, v3, a03);
            a10 = Mad(p1, v0, a10); a11 = Mad(p1, v1, a11); a12 = Mad(p1, v2, a12); a13 = Mad(p1, v3, a13);
        }
        GemmKernels.StoreRow(y, s, m0, n0, a00, a01, a02, a03);
        GemmKernels.StoreRow(y, s, m0 + 1, n0, a10, a11, a12, a13);
    }

    /// <summary>x[m, c0 .. c0+length) (rows past M repeat the last).</summary>
    private static ArrayView<float> XChunk(ArrayView<float> x, GemmShape s, int m, int c0, int length) =>
        GemmKernels.XRow(x, s, m).SubView(c0, length);
}
