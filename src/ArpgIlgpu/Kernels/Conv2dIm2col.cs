using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// 2-D convolution as im2col + the register-blocked GEMM, for PoCL: per image and chunk of
/// output positions p0 .. p0+n-1 the input patches are copied into a panel col[n, Cin k k], then
///   product[co, j] = sum_c w[co, c] col[j, c],   c = (ci k + ky) k + kx,
/// is <see cref="GemmKernels.RowBlocked{TW, SW}"/> with M = Cout (the weight as PyTorch stores
/// it, [Cout, Cin k k]), N = n, K = Cin k k, whose k loop PoCL vectorises, and
///   y[b, co, p0 + j] = bias[co] (+ y[b, co, p0 + j]) + product[co, j].
/// The chunks bound the panel (<see cref="Ops.Im2colPanelFloats"/>).
/// </summary>
internal static class Conv2dIm2colKernels
{
    /// <summary>
    /// col[j, (ci k + ky) k + kx] = x[b, ci, oy S + ky - P, ox S + kx - P] (zero outside the input)
    /// for output position p0 + j = oy OW + ox, j &lt; n; a run of positions j per thread.
    /// x: [B, Cin, H, W], col: [n, Cin k k].
    /// </summary>
    [Kernel]
    public static void Panel(Index1D index, ArrayView<float> x, ArrayView<float> col, Conv2dShape s, int b, int p0,
        ThreadRuns runs)
    {
        int k = s.Kernel;
        long columns = (long)s.InChannels * k * k;
        for (int j = runs.First(index); j < runs.End(index); j++)
        {
            int oy = (p0 + j) / s.OutWidth, ox = (p0 + j) % s.OutWidth;
            int iy0 = oy * s.Stride - s.Pad, ix0 = ox * s.Stride - s.Pad;
            long at = j * columns;
            for (int ci = 0; ci < s.InChannels; ci++)
            {
                long plane = ((long)b * s.InChannels + ci) * s.InHeight;
                for (int ky = 0; ky < k; ky++)
                {
                    int iy = iy0 + ky;
                    bool rowInside = iy >= 0 && iy < s.InHeight;
                    long row = (plane + iy) * s.InWidth;
                    for (int kx = 0; kx < k; kx++)
                    {
                        int ix = ix0 + kx;
                        col[at++] = rowInside && ix >= 0 && ix < s.InWidth ? x[row + ix] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// y[b, co, p0 + j] = bias[co] (+ y[b, co, p0 + j] when <paramref name="accumulate"/> = 1)
    /// + product[co, j] for j &lt; n, a run of channels co per thread. y: [B, Cout, OH*OW],
    /// product: [Cout, n].
    /// </summary>
    [Kernel]
    public static void AddProduct(Index1D index, ArrayView<float> product, ArrayView<float> bias, ArrayView<float> y,
        Conv2dShape s, int b, int p0, int n, int accumulate, ThreadRuns runs)
    {
        long positions = (long)s.OutHeight * s.OutWidth;
        for (int co = runs.First(index); co < runs.End(index); co++)
        {
            float value = bias[co];
            long row = ((long)b * s.OutChannels + co) * positions + p0, from = (long)co * n;
            for (int j = 0; j < n; j++)
                y[row + j] = (accumulate != 0 ? y[row + j] : 0f) + value + product[from + j];
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, Conv2dShape, int, int, ThreadRuns>? im2colPanel;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape, int, int, int, int,
        ThreadRuns>? im2colAddProduct;
    private MemoryBuffer1D<float, Stride1D.Dense>? im2colBuffer;

    /// <summary>
    /// The most floats of one im2col panel (32 MiB, a 128-channel 256 x 256 feature map's size):
    /// VQ-16's layers up to 32 x 32 fit whole, those at 64 x 64 take two chunks, at 256 x 256 ten
    /// (chunking did not change the rate measurably at 64 x 64 to 256 x 256).
    /// </summary>
    internal const int Im2colPanelFloats = 8 << 20;

    /// <summary>
    /// Output positions per chunk of the convolution: as many as the panel holds, and as the
    /// chunk's product [Cout, n] does in as many floats (few input channels, as in the encoder's
    /// conv_in, make a narrow panel), at least one.
    /// </summary>
    internal static int Im2colChunk(Conv2dShape s)
    {
        long widest = Math.Max(1L, Math.Max((long)s.InChannels * s.Kernel * s.Kernel, s.OutChannels));
        return (int)Math.Max(1, Math.Min(Im2colPanelFloats / widest, (long)s.OutHeight * s.OutWidth));
    }

    /// <summary>
    /// The convolution through im2col and the register-blocked GEMM (see
    /// <see cref="Conv2dIm2colKernels"/>): any square kernel, stride and padding. The panel and
    /// the chunk's product live in one device buffer, kept and grown on demand.
    /// </summary>
    internal void Conv2dIm2col(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate = false) =>
        Conv2dIm2col(x, weight, bias, y, s, accumulate, Im2colChunk(s));

    /// <summary><see cref="Conv2dIm2col(ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, Conv2dShape, bool)"/> in chunks of <paramref name="chunk"/> output positions (tests take small ones).</summary>
    internal void Conv2dIm2col(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate, int chunk)
    {
        if (!CheckConv2d(x, weight, bias, y, s))
            return;
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        int positions = checked(s.OutHeight * s.OutWidth), columns = checked(s.InChannels * s.Kernel * s.Kernel);
        chunk = Math.Min(chunk, positions);
        long panelLength = (long)chunk * columns, productLength = (long)chunk * s.OutChannels;
        if (im2colBuffer is null || im2colBuffer.Length < panelLength + productLength)
        {
            im2colBuffer?.Dispose();
            im2colBuffer = Accelerator.Allocate1D<float>(panelLength + productLength);
        }
        ArrayView<float> col = im2colBuffer.View.SubView(0, panelLength);
        ArrayView<float> product = im2colBuffer.View.SubView(panelLength, productLength);
        im2colPanel ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            Conv2dShape, int, int, ThreadRuns>(Conv2dIm2colKernels.Panel, ImplicitGroupSize);
        im2colAddProduct ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, Conv2dShape, int, int, int, int, ThreadRuns>(Conv2dIm2colKernels.AddProduct, ImplicitGroupSize);
        ThreadRuns channels = Runs(s.OutChannels);
        for (int b = 0; b < s.Batch; b++)
        for (int p0 = 0; p0 < positions; p0 += chunk)
        {
            int n = Math.Min(chunk, positions - p0);
            ThreadRuns patches = Runs(n);
            im2colPanel(patches.Threads, x, col, s, b, p0, patches);
            GemmRowBlocked(weight, col, product, s.OutChannels, n, columns);
            im2colAddProduct(channels.Threads, product, bias, y, s, b, p0, n, accumulate ? 1 : 0, channels);
        }
    }
}
