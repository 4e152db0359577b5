using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Shape of a 2-D convolution with a square kernel, NCHW:
/// x: [Batch, InChannels, InHeight, InWidth], weight: [OutChannels, InChannels, Kernel, Kernel]
/// (as PyTorch stores it), bias: [OutChannels], y: [Batch, OutChannels, OutHeight, OutWidth].
/// Input row iy = oy * Stride + ky - Pad (columns alike); positions outside the input read as
/// zero, so <see cref="Pad"/> zeros come before the first row and column and the zeros after the
/// last follow from the output size.
/// </summary>
public readonly record struct Conv2dShape(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int OutHeight, int OutWidth, int Kernel, int Stride, int Pad)
{
    /// <summary>
    /// Stride 1 with k/2 zeros on every side, so the output has the input's size: the VQ's
    /// 3x3 convolutions (k = 3, pad 1) and its 1x1 ones (k = 1, pad 0).
    /// </summary>
    public static Conv2dShape Same(int batch, int inChannels, int outChannels, int height, int width, int kernel) =>
        new(batch, inChannels, height, width, outChannels, height, width, kernel, Stride: 1, Pad: kernel / 2);

    /// <summary>
    /// The VQ encoder's downsampling: pad one zero row below and one zero column right of the
    /// input (PyTorch's F.pad(x, (0, 1, 0, 1))), then a 3x3 convolution of stride 2 without
    /// padding: (H, W) -> (H / 2, W / 2) for even H and W.
    /// </summary>
    public static Conv2dShape Downsample(int batch, int channels, int height, int width) =>
        new(batch, channels, height, width, channels, (height + 1 - 3) / 2 + 1, (width + 1 - 3) / 2 + 1,
            Kernel: 3, Stride: 2, Pad: 0);

    /// <summary>A shape <see cref="Same"/> makes: stride 1, k/2 zeros around, the output the input's size.</summary>
    public bool IsSame => Stride == 1 && Pad == Kernel / 2 && OutHeight == InHeight && OutWidth == InWidth;

    /// <summary><see cref="IsSame"/> with a 3x3 kernel (pad 1).</summary>
    public bool IsSame3x3 => Kernel == 3 && IsSame;

    /// <summary>Elements of x.</summary>
    public long InputLength => (long)Batch * InChannels * InHeight * InWidth;

    /// <summary>Elements of y.</summary>
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Elements of the weight.</summary>
    public long WeightLength => (long)OutChannels * InChannels * Kernel * Kernel;
}

/// <summary>
/// The direct 2-D convolutions, which read the input in place (no im2col buffer): the
/// register-blocked one that takes every shape (<see cref="Blocked"/>) and the plane-sweeping 1x1
/// one for OpenCL on CPUs (<see cref="PointwiseRows"/>). The implicit GEMM for GPUs is the other
/// part of this class (Conv2dImplicitGemm.cs); the 3x3 "same" convolutions it does not take (on
/// host CPUs, all of them) run by Winograd's F(4x4, 3x3) (Conv2dWinogradKernels). <c>Ops.Conv2d</c>
/// picks among them.
/// </summary>
internal static partial class Conv2dKernels
{
    /// <summary>Output channels one thread of the blocked kernel computes.</summary>
    public const int ChannelBlock = 4;
    /// <summary>Adjacent output columns one thread of the blocked kernel computes.</summary>
    public const int ColumnBlock = 4;

    /// <summary>
    /// Barrier-free convolution, one work item per (image b, 4 output channels, output row oy,
    /// 4 output columns), a run of items per thread (<see cref="ThreadRuns"/>):
    ///   y[b, co, oy, ox] = bias[co] + sum_{ci, ky, kx} w[co, ci, ky, kx] x[b, ci, oy*S+ky-P, ox*S+kx-P].
    /// Each input element loaded serves 4 output channels and each weight 4 columns: 16
    /// independent multiply-adds per 8 loads. Channels or columns past the edge of the output
    /// repeat the block's first one (loads stay in bounds) and are not stored. With
    /// <paramref name="accumulate"/> = 1 the result is added to y (a residual connection for free).
    /// </summary>
    [Kernel]
    public static void Blocked(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, ThreadRuns runs, int accumulate)
    {
        for (int block = runs.First(index); block < runs.End(index); block++)
            OutputBlock(block, x, w, bias, y, s, accumulate);
    }

    /// <summary>Computes output block <paramref name="i"/> of <see cref="Blocked"/>.</summary>
    private static void OutputBlock(int i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, int accumulate)
    {
        var (b, co0, oy, ox0) = BlockOrigin.Of(i, s, ChannelBlock, ColumnBlock);

        int k = s.Kernel, kk = k * k;
        long filter = (long)s.InChannels * kk;
        long w0 = co0 * filter;
        long w1 = co0 + 1 < s.OutChannels ? w0 + filter : w0;
        long w2 = co0 + 2 < s.OutChannels ? w0 + 2 * filter : w0;
        long w3 = co0 + 3 < s.OutChannels ? w0 + 3 * filter : w0;
        // Input column of output column ox0 + j at kx = 0.
        int ix0 = ox0 * s.Stride - s.Pad;
        int ix1 = ix0 + s.Stride, ix2 = ix0 + 2 * s.Stride, ix3 = ix0 + 3 * s.Stride;

        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
        for (int ci = 0; ci < s.InChannels; ci++)
        {
            long plane = ((long)b * s.InChannels + ci) * s.InHeight;
            for (int ky = 0; ky < k; ky++)
            {
                int iy = oy * s.Stride + ky - s.Pad;
                if (iy < 0 || iy >= s.InHeight)
                    continue;
                long row = (plane + iy) * s.InWidth;
                long tap = ci * kk + ky * k;
                for (int kx = 0; kx < k; kx++)
                {
                    float x0 = Pixel(x, row, ix0 + kx, s.InWidth), x1 = Pixel(x, row, ix1 + kx, s.InWidth);
                    float x2 = Pixel(x, row, ix2 + kx, s.InWidth), x3 = Pixel(x, row, ix3 + kx, s.InWidth);
                    float v0 = w[w0 + tap + kx], v1 = w[w1 + tap + kx], v2 = w[w2 + tap + kx], v3 = w[w3 + tap + kx];
                    a00 = Mad(v0, x0, a00); a01 = Mad(v0, x1, a01); a02 = Mad(v0, x2, a02); a03 = Mad(v0, x3, a03);
                    a10 = Mad(v1, x0, a10); a11 = Mad(v1, x1, a11); a12 = Mad(v1, x2, a12); a13 = Mad(v1, x3, a13);
                    a20 = Mad(v2, x0, a20); a21 = Mad(v2, x1, a21); a22 = Mad(v2, x2, a22); a23 = Mad(v2, x3, a23);
                    a30 = Mad(v3, x0, a30); a31 = Mad(v3, x1, a31); a32 = Mad(v3, x2, a32); a33 = Mad(v3, x3, a33);
                }
            }
        }
        StoreColumns(y, bias, s, accumulate, b, co0, oy, ox0, a00, a01, a02, a03);
        StoreColumns(y, bias, s, accumulate, b, co0 + 1, oy, ox0, a10, a11, a12, a13);
        StoreColumns(y, bias, s, accumulate, b, co0 + 2, oy, ox0, a20, a21, a22, a23);
        StoreColumns(y, bias, s, accumulate, b, co0 + 3, oy, ox0, a30, a31, a32, a33);
    }

    /// <summary>Output channels one work item of <see cref="PointwiseRows"/> computes.</summary>
    public const int RowChannels = 8;
    /// <summary>Positions one work item of <see cref="PointwiseRows"/> sweeps: its accumulators live in private memory.</summary>
    public const int MaxRowWidth = 512;

    /// <summary>acc[c, j] = bias[co0+c] (+ y[y0 + c*plane + j] when accumulating), j &lt; width.</summary>
    private static void StartRows(ArrayView<float> acc, ArrayView<float> bias, ArrayView<float> y, int co0, long y0,
        long plane, int width, int accumulate)
    {
        for (int c = 0; c < RowChannels; c++)
            for (int j = 0; j < width; j++)
                acc[c * MaxRowWidth + j] = bias[co0 + c] + (accumulate != 0 ? y[y0 + c * plane + j] : 0f);
    }

    /// <summary>y[y0 + c*plane + j] = acc[c, j], j &lt; width.</summary>
    private static void StoreRows(ArrayView<float> acc, ArrayView<float> y, long y0, long plane, int width)
    {
        for (int c = 0; c < RowChannels; c++)
            for (int j = 0; j < width; j++)
                y[y0 + c * plane + j] = acc[c * MaxRowWidth + j];
    }

    /// <summary>Whether <see cref="PointwiseRows"/> takes a shape: 1x1, stride 1, no padding, channels a multiple of 8.</summary>
    public static bool PointwiseTakes(Conv2dShape s) =>
        s is { Kernel: 1, IsSame: true } && s.OutChannels % RowChannels == 0;

    /// <summary>
    /// The 1x1 convolution for OpenCL on CPUs (PoCL). A 1x1 convolution has no neighbours, so
    /// each H*W plane is one long row; one work item (in a group of one) per (image b, 8 output
    /// channels co0.., span of up to 512 positions p0..):
    ///   acc[c, p] = bias[co0+c] (+ y) + sum_ci w[co0+c, ci] x[b, ci, p0+p].
    /// The loop over p is innermost and reads consecutive floats, so it becomes vector code. The VQ's attention projections (512 channels at 16 x 16) and
    /// its channel-changing shortcuts ran at 1-2 GFLOP/s in <see cref="Blocked"/>, whose loads
    /// jump a whole plane per input channel. The accumulators (8 rows of up to 512 floats) sit in
    /// private memory, which PoCL copies for every work item of a group: hence groups of one.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void PointwiseRows(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, int accumulate)
    {
        ArrayView<float> acc = LocalMemory.Allocate<float>(RowChannels * MaxRowWidth); // [c][p]
        long plane = (long)s.OutHeight * s.OutWidth;
        int spans = (int)((plane + MaxRowWidth - 1) / MaxRowWidth);
        int i = Grid.IdxX;
        int span = i % spans, rest = i / spans;
        int channelBlocks = s.OutChannels / RowChannels;
        int co0 = rest % channelBlocks * RowChannels, b = rest / channelBlocks;
        long p0 = (long)span * MaxRowWidth;
        int width = (int)Math.Min(MaxRowWidth, plane - p0);
        long y0 = ((long)b * s.OutChannels + co0) * plane + p0; // y[b, co0, p0]
        StartRows(acc, bias, y, co0, y0, plane, width, accumulate);
        for (int ci = 0; ci < s.InChannels; ci++)
        {
            long row = ((long)b * s.InChannels + ci) * plane + p0; // x[b, ci, p0]
            for (int c = 0; c < RowChannels; c++)
            {
                float k = w[(long)(co0 + c) * s.InChannels + ci];
                for (int p = 0; p < width; p++)
                    acc[c * MaxRowWidth + p] = Mad(k, x[row + p], acc[c * MaxRowWidth + p]);
            }
        }
        StoreRows(acc, y, y0, plane, width);
    }

    /// <summary>
    /// Where output block i starts: blocks of channels x columns, ordered (image, channel block,
    /// row, column block) with the column block fastest, so neighbouring threads write neighbouring columns.
    /// </summary>
    private readonly struct BlockOrigin(int image, int channel, int row, int column)
    {
        public static BlockOrigin Of(int i, Conv2dShape s, int channels, int columns)
        {
            int columnBlocks = (s.OutWidth + columns - 1) / columns;
            int channelBlocks = (s.OutChannels + channels - 1) / channels;
            int rest = i / columnBlocks / s.OutHeight;
            return new BlockOrigin(rest / channelBlocks, rest % channelBlocks * channels,
                i / columnBlocks % s.OutHeight, i % columnBlocks * columns);
        }

        public void Deconstruct(out int b, out int co0, out int oy, out int ox0) =>
            (b, co0, oy, ox0) = (image, channel, row, column);
    }

    /// <summary>x[row + ix], or the zero padding when column ix lies outside the image.</summary>
    private static float Pixel(ArrayView<float> x, long row, int ix, int width) =>
        ix >= 0 && ix < width ? x[row + ix] : 0f;

    /// <summary>
    /// Stores y[b, co, oy, ox0 + j] (+)= bias[co] + a_j for the columns j inside the output.
    /// </summary>
    private static void StoreColumns(ArrayView<float> y, ArrayView<float> bias, Conv2dShape s, int accumulate,
        int b, int co, int oy, int ox0, float a0, float a1, float a2, float a3)
    {
        if (co >= s.OutChannels)
            return;
        long row = (((long)b * s.OutChannels + co) * s.OutHeight + oy) * s.OutWidth + ox0;
        StoreRun(y, row, s.OutWidth - ox0, bias[co], accumulate, a0, a1, a2, a3);
    }

    /// <summary>y[row + j] (+)= bias + a_j for j &lt; min(count, 4): a register block's run of outputs, cut at the edge.</summary>
    internal static void StoreRun(ArrayView<float> y, long row, int count, float bias, int accumulate,
        float a0, float a1, float a2, float a3)
    {
        Store(y, row, a0 + bias, accumulate);
        if (count > 1) Store(y, row + 1, a1 + bias, accumulate);
        if (count > 2) Store(y, row + 2, a2 + bias, accumulate);
        if (count > 3) Store(y, row + 3, a3 + bias, accumulate);
    }

    private static void Store(ArrayView<float> y, long at, float value, int accumulate) =>
        y[at] = accumulate != 0 ? y[at] + value : value;
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape,
        ThreadRuns, int>? conv2dBlocked;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape,
        int>? conv2dPointwiseRows;

    /// <summary>
    /// y = conv2d(x, weight) + bias, or y += conv2d(x, weight) + bias when
    /// <paramref name="accumulate"/>. x: [B, Cin, H, W]; weight: [Cout, Cin, k, k]; bias: [Cout];
    /// y: [B, Cout, OH, OW] (see <see cref="Conv2dShape"/>). y must not overlap x.
    /// </summary>
    public void Conv2d(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
        Conv2dShape shape, bool accumulate = false)
    {
        if (Profile.Conv2d == Conv2dVariant.ImplicitGemm && ImplicitGemmTakes(shape))
            Conv2dImplicitGemm(x, weight, bias, y, shape, accumulate);
        else if (shape.IsSame3x3)
            Conv2dWinograd(x, weight, bias, y, shape, accumulate);
        else if (Profile.Conv2d == Conv2dVariant.PlaneSweeps && Conv2dKernels.PointwiseTakes(shape))
            Conv2dPointwiseRows(x, weight, bias, y, shape, accumulate);
        else
            Conv2dBlocked(x, weight, bias, y, shape, accumulate);
    }

    /// <summary>The 1x1 convolution sweeping whole planes, 8 channels per work item (OpenCL on CPUs).</summary>
    internal void Conv2dPointwiseRows(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate = false)
    {
        if (!Conv2dKernels.PointwiseTakes(s))
            throw new ArgumentException(
                $"Conv2dPointwiseRows: {s} is not a 1x1 convolution with output channels a multiple of {Conv2dKernels.RowChannels}");
        long plane = (long)s.OutHeight * s.OutWidth;
        int spans = checked((int)((plane + Conv2dKernels.MaxRowWidth - 1) / Conv2dKernels.MaxRowWidth));
        LaunchInGroupsOfOne(ref conv2dPointwiseRows, Conv2dKernels.PointwiseRows, spans, x, weight, bias, y, s, accumulate);
    }

    /// <summary>
    /// Launches a sweeping kernel (<see cref="Conv2dKernels.PointwiseRows"/>) with one work item
    /// per (image, 8 output channels, sweep), each in a group of its own.
    /// </summary>
    private void LaunchInGroupsOfOne(
        ref Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape, int>? launcher,
        Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape, int> kernel,
        int sweepsPerChannelBlock, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate)
    {
        if (!CheckConv2d(x, weight, bias, y, s))
            return;
        launcher ??= Accelerator.LoadStreamKernel(kernel);
        int items = checked(s.Batch * (s.OutChannels / Conv2dKernels.RowChannels) * sweepsPerChannelBlock);
        launcher(new KernelConfig(items, 1), x, weight, bias, y, s, accumulate ? 1 : 0);
    }

    /// <summary>The general blocked convolution: any square kernel, stride and padding.</summary>
    internal void Conv2dBlocked(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate = false)
    {
        if (!CheckConv2d(x, weight, bias, y, s))
            return;
        conv2dBlocked ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, Conv2dShape, ThreadRuns, int>(Conv2dKernels.Blocked, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)s.Batch * CeilDiv(s.OutChannels, Conv2dKernels.ChannelBlock) * s.OutHeight
                               * CeilDiv(s.OutWidth, Conv2dKernels.ColumnBlock));
        conv2dBlocked(runs.Threads, x, weight, bias, y, s, runs, accumulate ? 1 : 0);
    }

    /// <summary>Checks the views against the shape; false when the output is empty.</summary>
    private static bool CheckConv2d(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s)
    {
        if (s.Kernel < 1 || s.Stride < 1 || s.Pad < 0 || s.Pad >= s.Kernel)
            throw new ArgumentException($"Conv2d: kernel {s.Kernel}, stride {s.Stride}, pad {s.Pad} is not supported");
        if (s.OutHeight > 0 && (s.OutHeight - 1) * s.Stride - s.Pad >= s.InHeight
            || s.OutWidth > 0 && (s.OutWidth - 1) * s.Stride - s.Pad >= s.InWidth)
            throw new ArgumentException($"Conv2d: output {s.OutHeight}x{s.OutWidth} reaches past input {s.InHeight}x{s.InWidth}");
        Require(x, s.InputLength, "Conv2d x");
        Require(weight, s.WeightLength, "Conv2d weight");
        Require(bias, s.OutChannels, "Conv2d bias");
        Require(y, s.OutputLength, "Conv2d y");
        return s.OutputLength > 0;
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
