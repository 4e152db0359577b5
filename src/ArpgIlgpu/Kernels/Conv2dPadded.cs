using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The 3x3 stride-1 "same" convolution for PoCL as a GEMM without an im2col panel. The input is
/// copied once into a channels-last image of stacked row triples with a zero border of one column
/// on either side, and the weight into the matching order,
///   xr[b, oy, px, ky, ci] = x[b, ci, oy + ky - 1, px - 1] (zero outside the image), xr: [B, H, W+2, 3, Cin],
///   wt[co, (kx 3 + ky) Cin + ci] = w[co, ci, ky, kx],                              wt: [Cout, 9 Cin],
/// so that all 9 Cin inputs of output position p = oy W + ox are the one contiguous run
/// xr[b, oy, ox .. ox + 2, 0 .. 2, 0 .. Cin-1] (three times the input, not im2col's nine):
///   y[b, co, p] (+)= bias[co] + sum_{c &lt; 9 Cin} wt[co, c] xr[b, oy, ox, c],   c = (kx 3 + ky) Cin + ci.
/// The loop over c is the register-blocked GEMM's inner loop (4 output channels x 4 positions,
/// 8 loads per 16 multiply-adds), which PoCL vectorises; no bounds are checked inside it.
/// </summary>
internal static class Conv2dPaddedKernels
{
    /// <summary>Output channels, and output positions, of one thread's block in <see cref="Taps"/>.</summary>
    public const int Block = 4;

    /// <summary>Channel blocks that consecutive threads of <see cref="Taps"/> take for the same positions.</summary>
    public const int ChannelBlocksTogether = 16;

    /// <summary>
    /// xr[b, oy, px, ky, ci] = x[b, ci, oy + ky - 1, px - 1], zero outside the image; a run of
    /// (b, oy, px) per thread. x: [B, Cin, H, W], xr: [B, H, W+2, 3, Cin].
    /// </summary>
    [Kernel]
    public static void StackRows(Index1D index, ArrayView<float> x, ArrayView<float> xr, Conv2dShape s,
        ThreadRuns runs)
    {
        int pw = s.InWidth + 2;
        long plane = (long)s.InHeight * s.InWidth;
        for (int q = runs.First(index); q < runs.End(index); q++)
        {
            int px = q % pw, oy = q / pw % s.InHeight, b = q / pw / s.InHeight;
            int ix = px - 1;
            long to = (long)q * 3 * s.InChannels;
            for (int ky = 0; ky < 3; ky++)
            {
                int iy = oy + ky - 1;
                bool inside = iy >= 0 && iy < s.InHeight && ix >= 0 && ix < s.InWidth;
                long from = (long)b * s.InChannels * plane + (inside ? (long)iy * s.InWidth + ix : 0);
                for (int ci = 0; ci < s.InChannels; ci++)
                    xr[to + ky * s.InChannels + ci] = inside ? x[from + ci * plane] : 0f;
            }
        }
    }

    /// <summary>
    /// wt[co, (kx 3 + ky) Cin + ci] = w[co, ci 9 + ky 3 + kx]; a run of output channels per
    /// thread. w, wt: [Cout, 9 Cin].
    /// </summary>
    [Kernel]
    public static void TapMajor(Index1D index, ArrayView<float> w, ArrayView<float> wt, Conv2dShape s, ThreadRuns runs)
    {
        long filter = 9L * s.InChannels;
        for (int co = runs.First(index); co < runs.End(index); co++)
            for (int kx = 0; kx < 3; kx++)
                for (int ky = 0; ky < 3; ky++)
                    for (int ci = 0; ci < s.InChannels; ci++)
                        wt[co * filter + (kx * 3 + ky) * s.InChannels + ci] = w[co * filter + ci * 9 + ky * 3 + kx];
    }

    /// <summary>
    /// One thread per block of 4 output channels co0 .. co0+3 and 4 output positions p0 .. p0+3 of
    /// image b (see <see cref="Conv2dPaddedKernels"/> for the sum). Consecutive threads take 16
    /// channel blocks (64 channels) for the same 4 positions, whose inputs stay in L1, then the next
    /// positions: the 64 channels' weights (295 KB at 128 input channels, 1.2 MB at 512) stay in L2
    /// and the input streams past once per 64 output channels. Channel blocks past the output (when
    /// their count is not a multiple of 16) do nothing; channels and positions past the edge repeat the last valid
    /// one, so every load stays in bounds, and their sums are not stored.
    /// </summary>
    [Kernel]
    public static void Taps(Index1D index, ArrayView<float> xr, ArrayView<float> wt, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, int accumulate)
    {
        int positions = s.OutHeight * s.OutWidth;
        int channelBlocks = (s.OutChannels + Block - 1) / Block, positionBlocks = (positions + Block - 1) / Block;
        int together = positionBlocks * ChannelBlocksTogether, image = together * Groups(channelBlocks);
        int i = index, b = i / image, r = i % image, rest = r % together;
        int cb = r / together * ChannelBlocksTogether + rest % ChannelBlocksTogether;
        if (cb >= channelBlocks)
            return;
        int co0 = cb * Block, p0 = rest / ChannelBlocksTogether * Block;
        int cin = s.InChannels, pw = s.InWidth + 2;
        long filter = 9L * cin;
        long w0 = co0 * filter, w1 = Math.Min(co0 + 1, s.OutChannels - 1) * filter;
        long w2 = Math.Min(co0 + 2, s.OutChannels - 1) * filter, w3 = Math.Min(co0 + 3, s.OutChannels - 1) * filter;
        long image0 = (long)b * s.InHeight * pw;
        long x0 = Origin(p0, positions, s.OutWidth, pw, image0, cin), x1 = Origin(p0 + 1, positions, s.OutWidth, pw, image0, cin);
        long x2 = Origin(p0 + 2, positions, s.OutWidth, pw, image0, cin), x3 = Origin(p0 + 3, positions, s.OutWidth, pw, image0, cin);
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0; // a[channel][position]
        for (long c = 0; c < filter; c++)
        {
            float p0v = xr[x0 + c], p1v = xr[x1 + c], p2v = xr[x2 + c], p3v = xr[x3 + c];
            float v0 = wt[w0 + c], v1 = wt[w1 + c], v2 = wt[w2 + c], v3 = wt[w3 + c];
            a00 = Mad(v0, p0v, a00); a01 = Mad(v0, p1v, a01); a02 = Mad(v0, p2v, a02); a03 = Mad(v0, p3v, a03);
            a10 = Mad(v1, p0v, a10); a11 = Mad(v1, p1v, a11); a12 = Mad(v1, p2v, a12); a13 = Mad(v1, p3v, a13);
            a20 = Mad(v2, p0v, a20); a21 = Mad(v2, p1v, a21); a22 = Mad(v2, p2v, a22); a23 = Mad(v2, p3v, a23);
            a30 = Mad(v3, p0v, a30); a31 = Mad(v3, p1v, a31); a32 = Mad(v3, p2v, a32); a33 = Mad(v3, p3v, a33);
        }
        long y0 = (long)b * s.OutChannels * positions;
        StoreChannel(y, bias, s, accumulate, y0, co0, p0, positions, a00, a01, a02, a03);
        StoreChannel(y, bias, s, accumulate, y0, co0 + 1, p0, positions, a10, a11, a12, a13);
        StoreChannel(y, bias, s, accumulate, y0, co0 + 2, p0, positions, a20, a21, a22, a23);
        StoreChannel(y, bias, s, accumulate, y0, co0 + 3, p0, positions, a30, a31, a32, a33);
    }

    /// <summary>Groups of <see cref="ChannelBlocksTogether"/> channel blocks that cover <paramref name="channelBlocks"/>.</summary>
    public static int Groups(int channelBlocks) => (channelBlocks + ChannelBlocksTogether - 1) / ChannelBlocksTogether;

    /// <summary>Where output position p's inputs start in xr (p past the end repeats the last position).</summary>
    private static long Origin(int p, int positions, int width, int pw, long image0, int cin)
    {
        int q = Math.Min(p, positions - 1);
        return (image0 + (long)(q / width) * pw + q % width) * 3 * cin;
    }

    /// <summary>y[b, co, p0 + j] (+)= bias[co] + a_j for the positions p0 + j inside the image, when co is a channel.</summary>
    private static void StoreChannel(ArrayView<float> y, ArrayView<float> bias, Conv2dShape s, int accumulate, long y0,
        int co, int p0, int positions, float a0, float a1, float a2, float a3)
    {
        if (co >= s.OutChannels)
            return;
        Conv2dKernels.StoreRun(y, y0 + (long)co * positions + p0, positions - p0, bias[co], accumulate, a0, a1, a2, a3);
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, Conv2dShape, ThreadRuns>? paddedStackRows, paddedTapMajor;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape, int>? paddedTaps;
    private ScratchBuffer? paddedBuffer;

    /// <summary>
    /// The 3x3 stride-1 same convolution over a channels-last copy of the input's row triples
    /// (see <see cref="Conv2dPaddedKernels"/>); the copies live in one scratch buffer.
    /// </summary>
    internal void Conv2dPadded(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate = false)
    {
        if (!CheckConv2d(x, weight, bias, y, s))
            return;
        if (!s.IsSame3x3)
            throw new ArgumentException($"Conv2dPadded: {s} is not a 3x3 stride-1 same convolution");
        long padded = checked((long)s.Batch * s.InHeight * (s.InWidth + 2)), paddedLength = padded * 3 * s.InChannels;
        ArrayView<float> copies = (paddedBuffer ??= NewScratch()).Take(paddedLength + s.WeightLength);
        ArrayView<float> xr = copies.SubView(0, paddedLength);
        ArrayView<float> wt = copies.SubView(paddedLength, s.WeightLength);
        paddedStackRows ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            Conv2dShape, ThreadRuns>(Conv2dPaddedKernels.StackRows, ImplicitGroupSize);
        paddedTapMajor ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            Conv2dShape, ThreadRuns>(Conv2dPaddedKernels.TapMajor, ImplicitGroupSize);
        paddedTaps ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, Conv2dShape, int>(Conv2dPaddedKernels.Taps, ImplicitGroupSize);
        ThreadRuns pixels = Runs(padded), channels = Runs(s.OutChannels);
        paddedStackRows(pixels.Threads, x, xr, s, pixels);
        paddedTapMajor(channels.Threads, weight, wt, s, channels);
        long blocks = (long)s.Batch * Conv2dPaddedKernels.Groups(CeilDiv(s.OutChannels, Conv2dPaddedKernels.Block))
                      * Conv2dPaddedKernels.ChannelBlocksTogether * CeilDiv(s.OutHeight * s.OutWidth, Conv2dPaddedKernels.Block);
        paddedTaps(checked((int)blocks), xr, wt, bias, y, s, accumulate ? 1 : 0);
    }
}
