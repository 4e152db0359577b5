using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The output tiles of a Winograd convolution and the run of them one pass transforms: the
/// output is cut into 4 x 4 tiles, <see cref="Rows"/> x <see cref="Columns"/> per image (the last
/// ones reaching past the edge), numbered t = (b Rows + ty) Columns + tx; a pass takes tiles
/// First .. First + Count - 1.
/// </summary>
/// <param name="Rows">Tile rows per image: ceil(OH / 4).</param>
/// <param name="Columns">Tile columns per image: ceil(OW / 4).</param>
/// <param name="First">The first tile of the pass.</param>
/// <param name="Count">Tiles in the pass.</param>
public readonly record struct WinogradTiles(int Rows, int Columns, int First, int Count)
{
    /// <summary>Where pass-local tile j lies: its image b and its tile row ty and column tx.</summary>
    public TilePosition Locate(int j)
    {
        int t = First + j, perImage = Rows * Columns;
        return new TilePosition(t / perImage, t % perImage / Columns, t % Columns);
    }
}

/// <summary>Where a Winograd tile lies.</summary>
/// <param name="B">Its image.</param>
/// <param name="Ty">Its tile row: output rows 4 Ty .. 4 Ty + 3.</param>
/// <param name="Tx">Its tile column: output columns 4 Tx .. 4 Tx + 3.</param>
public readonly record struct TilePosition(int B, int Ty, int Tx);

/// <summary>
/// The 3x3 stride-1 "same" convolution by Winograd's F(4x4, 3x3) (<see cref="WinogradLines"/>):
///   Y_tile = A^T [ sum_ci (G g[co, ci] G^T) .* (B^T d[ci] B) ] A,
/// where d[ci] is the 6 x 6 input patch of channel ci under a 4 x 4 output tile (rows 4 ty - 1 ..,
/// columns 4 tx - 1 .., zero outside the image). The sum over ci is, for each of the 36 points
/// e = 6 k + l of the Winograd domain, a matrix product:
///   M_e[co, t] = sum_ci U_e[co, ci] V_e[t, ci],   U_e = (G g G^T)[k, l], V_e = (B^T d B)[k, l],
/// which the register-blocked GEMM computes (x = U_e: [Cout, Cin], w = V_e: [tiles, Cin]), so
/// a tile's 16 outputs take 36 Cin multiply-adds per output channel instead of 144: 4x fewer.
/// The transforms are element-wise work around it (their arithmetic is about 2% of the
/// products' at 128 channels; their cost is memory traffic), and F(4x4)'s larger coefficients
/// cost some float32 accuracy (the tests bound it at the VQ's channel counts; the VQ fixtures
/// hold). Buffers, for a pass over <see cref="WinogradTiles.Count"/> = T tiles, each of the 36
/// matrices at a distance that is not a power of two (see Ops.Spread):
///   u: [36, Cout, Cin], v: [36, T, Cin], m: [36, Cout, T].
/// The host-CPU profile's 3x3 convolution (GPUs keep the implicit GEMM, whose tiles reuse each
/// input from shared memory; these kernels are barrier-free and run anywhere). Each transform
/// item reads its inputs and writes each of the 36 matrices at consecutive addresses from one
/// item to the next (16 floats, a cache line, per input item), so the 36 store streams advance
/// together.
/// </summary>
internal static class Conv2dWinogradKernels
{
    /// <summary>Points of the Winograd domain: 6 x 6, one GEMM each.</summary>
    public const int Points = 36;

    /// <summary>Output rows and columns of one tile.</summary>
    public const int Tile = 4;

    /// <summary>
    /// u[e, co, ci] = (G g G^T)[k, l], e = 6 k + l, g = w[co, ci]: [3, 3]; a run of filters
    /// q = co Cin + ci per thread. w: [Cout, Cin, 3, 3].
    /// </summary>
    [Kernel]
    public static void TransformFilters(Index1D index, ArrayView<float> w, ArrayView<float> u, long stride, ThreadRuns runs)
    {
        for (int q = runs.First(index); q < runs.End(index); q++)
        {
            long at = 9L * q;
            // rows of g G^T, then G applied down each of their 6 columns
            Line6 r0 = WinogradLines.Filter(w[at], w[at + 1], w[at + 2]);
            Line6 r1 = WinogradLines.Filter(w[at + 3], w[at + 4], w[at + 5]);
            Line6 r2 = WinogradLines.Filter(w[at + 6], w[at + 7], w[at + 8]);
            StoreColumn(u, 0, stride, q, WinogradLines.Filter(r0.V0, r1.V0, r2.V0));
            StoreColumn(u, 1, stride, q, WinogradLines.Filter(r0.V1, r1.V1, r2.V1));
            StoreColumn(u, 2, stride, q, WinogradLines.Filter(r0.V2, r1.V2, r2.V2));
            StoreColumn(u, 3, stride, q, WinogradLines.Filter(r0.V3, r1.V3, r2.V3));
            StoreColumn(u, 4, stride, q, WinogradLines.Filter(r0.V4, r1.V4, r2.V4));
            StoreColumn(u, 5, stride, q, WinogradLines.Filter(r0.V5, r1.V5, r2.V5));
        }
    }

    /// <summary>Input channels one item of <see cref="TransformInput"/> takes: 64 bytes of each of the 36 rows it writes.</summary>
    public const int ChannelBlock = 16;

    /// <summary>
    /// v[e, j, ci] = (B^T d B)[k, l], e = 6 k + l, d the 6 x 6 patch of channel ci under the
    /// pass's tile j. An item q = cb T + j takes tile j for the 16 channels of block cb (a run of
    /// items per thread: consecutive tiles of the same channels), so each item writes 16
    /// consecutive floats (a cache line) of each of the 36 matrices, and the input rows it reads
    /// (16 channels x 6 rows) are still in L1 for the next tile. x: [B, Cin, H, W].
    /// </summary>
    [Kernel]
    public static void TransformInput(Index1D index, ArrayView<float> x, ArrayView<float> v, Conv2dShape s,
        WinogradTiles tiles, long stride, ThreadRuns runs)
    {
        long plane = (long)s.InHeight * s.InWidth;
        for (int q = runs.First(index); q < runs.End(index); q++)
        {
            int j = q % tiles.Count, c0 = q / tiles.Count * ChannelBlock;
            TilePosition at = tiles.Locate(j);
            int iy = Tile * at.Ty - 1, ix = Tile * at.Tx - 1;
            for (int ci = c0; ci < Math.Min(c0 + ChannelBlock, s.InChannels); ci++)
            {
                long channel = ((long)at.B * s.InChannels + ci) * plane, to = (long)j * s.InChannels + ci;
                // rows of d B, then B^T applied down each of their 6 columns
                Line6 p0 = InputRow(x, channel, iy, ix, s), p1 = InputRow(x, channel, iy + 1, ix, s);
                Line6 p2 = InputRow(x, channel, iy + 2, ix, s), p3 = InputRow(x, channel, iy + 3, ix, s);
                Line6 p4 = InputRow(x, channel, iy + 4, ix, s), p5 = InputRow(x, channel, iy + 5, ix, s);
                StoreColumn(v, 0, stride, to, WinogradLines.Input(p0.V0, p1.V0, p2.V0, p3.V0, p4.V0, p5.V0));
                StoreColumn(v, 1, stride, to, WinogradLines.Input(p0.V1, p1.V1, p2.V1, p3.V1, p4.V1, p5.V1));
                StoreColumn(v, 2, stride, to, WinogradLines.Input(p0.V2, p1.V2, p2.V2, p3.V2, p4.V2, p5.V2));
                StoreColumn(v, 3, stride, to, WinogradLines.Input(p0.V3, p1.V3, p2.V3, p3.V3, p4.V3, p5.V3));
                StoreColumn(v, 4, stride, to, WinogradLines.Input(p0.V4, p1.V4, p2.V4, p3.V4, p4.V4, p5.V4));
                StoreColumn(v, 5, stride, to, WinogradLines.Input(p0.V5, p1.V5, p2.V5, p3.V5, p4.V5, p5.V5));
            }
        }
    }

    /// <summary>
    /// y[b, co, 4 ty + i, 4 tx + j'] (+)= bias[co] + (A^T M A)[i, j'] for the outputs inside the
    /// image, M[k, l] = m[6 k + l, co, j] of the pass's tile j; a run of q = co T + j per thread
    /// (consecutive threads write neighbouring tiles of a row). y: [B, Cout, H, W].
    /// </summary>
    [Kernel]
    public static void TransformOutput(Index1D index, ArrayView<float> m, ArrayView<float> bias, ArrayView<float> y,
        Conv2dShape s, WinogradTiles tiles, long stride, ThreadRuns runs, int accumulate)
    {
        long plane = (long)s.OutHeight * s.OutWidth;
        for (int q = runs.First(index); q < runs.End(index); q++)
        {
            int co = q / tiles.Count, j = q % tiles.Count;
            TilePosition at = tiles.Locate(j);
            // A^T applied down each of the 6 columns of M, then along the 4 rows of the result
            Line4 c0 = OutputColumn(m, 0, stride, q), c1 = OutputColumn(m, 1, stride, q), c2 = OutputColumn(m, 2, stride, q);
            Line4 c3 = OutputColumn(m, 3, stride, q), c4 = OutputColumn(m, 4, stride, q), c5 = OutputColumn(m, 5, stride, q);
            long channel = ((long)at.B * s.OutChannels + co) * plane;
            int oy = Tile * at.Ty, ox = Tile * at.Tx, count = Math.Min(Tile, s.OutWidth - ox);
            float add = bias[co];
            StoreRow(y, s, channel, oy, ox, count, add, accumulate, WinogradLines.Output(c0.V0, c1.V0, c2.V0, c3.V0, c4.V0, c5.V0));
            StoreRow(y, s, channel, oy + 1, ox, count, add, accumulate, WinogradLines.Output(c0.V1, c1.V1, c2.V1, c3.V1, c4.V1, c5.V1));
            StoreRow(y, s, channel, oy + 2, ox, count, add, accumulate, WinogradLines.Output(c0.V2, c1.V2, c2.V2, c3.V2, c4.V2, c5.V2));
            StoreRow(y, s, channel, oy + 3, ox, count, add, accumulate, WinogradLines.Output(c0.V3, c1.V3, c2.V3, c3.V3, c4.V3, c5.V3));
        }
    }

    /// <summary>(d B) for row iy of x's channel from column ix: B^T applied to its 6 values, zero outside the image.</summary>
    private static Line6 InputRow(ArrayView<float> x, long channel, int iy, int ix, Conv2dShape s)
    {
        bool row = iy >= 0 && iy < s.InHeight;
        long at = channel + (long)Math.Min(Math.Max(iy, 0), s.InHeight - 1) * s.InWidth;
        return WinogradLines.Input(Pixel(x, at, row, ix, s), Pixel(x, at, row, ix + 1, s), Pixel(x, at, row, ix + 2, s),
            Pixel(x, at, row, ix + 3, s), Pixel(x, at, row, ix + 4, s), Pixel(x, at, row, ix + 5, s));
    }

    /// <summary>
    /// x[row + ix] when the row is inside the image and so is column ix, else 0. The load is made
    /// at a clamped column either way, so that the choice is a select, not a branch around a load.
    /// </summary>
    private static float Pixel(ArrayView<float> x, long row, bool inside, int ix, Conv2dShape s)
    {
        float value = x[row + Math.Min(Math.Max(ix, 0), s.InWidth - 1)];
        return inside && ix >= 0 && ix < s.InWidth ? value : 0f;
    }

    /// <summary>buffer[(6 k + l) stride + at] = column[k] for k = 0..5: column l of a tile's Winograd-domain values.</summary>
    private static void StoreColumn(ArrayView<float> buffer, int l, long stride, long at, Line6 column)
    {
        buffer[l * stride + at] = column.V0;
        buffer[(6 + l) * stride + at] = column.V1;
        buffer[(12 + l) * stride + at] = column.V2;
        buffer[(18 + l) * stride + at] = column.V3;
        buffer[(24 + l) * stride + at] = column.V4;
        buffer[(30 + l) * stride + at] = column.V5;
    }

    /// <summary>A^T applied to column l of a tile's products: m[(6 k + l) stride + at] for k = 0..5.</summary>
    private static Line4 OutputColumn(ArrayView<float> m, int l, long stride, long at) => WinogradLines.Output(
        m[l * stride + at], m[(6 + l) * stride + at], m[(12 + l) * stride + at],
        m[(18 + l) * stride + at], m[(24 + l) * stride + at], m[(30 + l) * stride + at]);

    /// <summary>y[channel, oy, ox .. ox + count - 1] (+)= bias + row values, when row oy is inside the image.</summary>
    private static void StoreRow(ArrayView<float> y, Conv2dShape s, long channel, int oy, int ox, int count, float bias,
        int accumulate, Line4 row)
    {
        if (oy >= s.OutHeight)
            return;
        Conv2dKernels.StoreRun(y, channel + (long)oy * s.OutWidth + ox, count, bias, accumulate, row.V0, row.V1, row.V2, row.V3);
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, long, ThreadRuns>? winogradFilters;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, Conv2dShape, WinogradTiles, long, ThreadRuns>? winogradInput;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape, WinogradTiles, long, ThreadRuns, int>?
        winogradOutput;
    private ScratchBuffer? winogradBuffer;

    /// <summary>
    /// Floats of v and m together that one pass over tiles may take: 16M (64 MB), 3 passes for
    /// one 256 x 256 image at 128 channels. Larger passes measured faster there (1M, 4M and 16M
    /// floats: 129, 114 and 105 ms a convolution, one run each: fewer and longer GEMMs), and the
    /// bound keeps a large batch from needing a buffer the size of all its tiles' transforms.
    /// </summary>
    private const long WinogradPassFloats = 16L << 20;

    /// <summary>
    /// The 3x3 stride-1 same convolution by Winograd's F(4x4, 3x3) (see <see cref="Conv2dWinogradKernels"/>):
    /// the filters transformed once per call, then passes over runs of output tiles, each an input
    /// transform, the 36 GEMMs (<see cref="GemmBatched"/>: one launch on CPUs) and an output
    /// transform that adds the bias (and y when <paramref name="accumulate"/>).
    /// </summary>
    /// <remarks><paramref name="passFloats"/>: the floats of v and m a pass may take (tests make passes of a few tiles).</remarks>
    internal void Conv2dWinograd(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate = false, long passFloats = WinogradPassFloats)
    {
        if (!CheckConv2d(x, weight, bias, y, s))
            return;
        if (!s.IsSame3x3)
            throw new ArgumentException($"Conv2dWinograd: {s} is not a 3x3 stride-1 same convolution");
        const int points = Conv2dWinogradKernels.Points, tile = Conv2dWinogradKernels.Tile;
        int rows = CeilDiv(s.OutHeight, tile), columns = CeilDiv(s.OutWidth, tile);
        long total = (long)s.Batch * rows * columns, perTile = (long)points * (s.InChannels + s.OutChannels);
        int passTiles = (int)Math.Clamp(passFloats / perTile, 1, total);
        long filters = (long)s.OutChannels * s.InChannels, uStride = Spread(filters);
        long vStride = Spread((long)passTiles * s.InChannels), mStride = Spread((long)passTiles * s.OutChannels);
        long uLength = points * uStride, vLength = points * vStride;
        ArrayView<float> buffers = (winogradBuffer ??= NewScratch()).Take(uLength + vLength + points * mStride);
        ArrayView<float> u = buffers.SubView(0, uLength), v = buffers.SubView(uLength, vLength);
        ArrayView<float> m = buffers.SubView(uLength + vLength, points * mStride);
        winogradFilters ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            long, ThreadRuns>(Conv2dWinogradKernels.TransformFilters, ImplicitGroupSize);
        winogradInput ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            Conv2dShape, WinogradTiles, long, ThreadRuns>(Conv2dWinogradKernels.TransformInput, ImplicitGroupSize);
        winogradOutput ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, Conv2dShape, WinogradTiles, long, ThreadRuns, int>(Conv2dWinogradKernels.TransformOutput, ImplicitGroupSize);
        ThreadRuns filterRuns = Runs(filters);
        winogradFilters(filterRuns.Threads, weight, u, uStride, filterRuns);
        for (long first = 0; first < total; first += passTiles)
        {
            var tiles = new WinogradTiles(rows, columns, (int)first, (int)Math.Min(passTiles, total - first));
            long cout = (long)tiles.Count * s.OutChannels;
            ThreadRuns inputRuns = Runs((long)tiles.Count * CeilDiv(s.InChannels, Conv2dWinogradKernels.ChannelBlock));
            ThreadRuns outputRuns = Runs(cout);
            winogradInput(inputRuns.Threads, x, v, s, tiles, vStride, inputRuns);
            GemmBatched(u, v, m, s.OutChannels, tiles.Count, s.InChannels, new GemmBatch(points, uStride, vStride, mStride));
            winogradOutput(outputRuns.Threads, m, bias, y, s, tiles, mStride, outputRuns, accumulate ? 1 : 0);
        }
    }

    /// <summary>
    /// The distance between consecutive ones of the 36 matrices of a buffer: their length rounded
    /// up to a multiple of 64 floats, plus 16 (a cache line). A transform writes (or reads) the 36
    /// at once; at a power-of-two distance (512 x 512 filters: 1 MB) all 36 streams fell in the
    /// same set of the L1 and L2 caches, and the filters' transform ran at 2.6 GB/s.
    /// </summary>
    private static long Spread(long length) => (length + 63) / 64 * 64 + 16;
}
