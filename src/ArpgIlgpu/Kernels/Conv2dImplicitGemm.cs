using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

internal static partial class Conv2dKernels
{
    /// <summary>Output channels (rows of the GEMM) and output pixels (columns) of one implicit-GEMM group's tile.</summary>
    public const int GemmTile = 64;
    /// <summary>Threads per side of an implicit-GEMM group: 16 x 16 = 256, each computing 4 x 4 outputs.</summary>
    public const int GemmThreads = 16;
    /// <summary>Input channels of one tap staged in shared memory per step (the K slice).</summary>
    public const int GemmSlice = 16;
    /// <summary>
    /// Floats per row of the shared tiles: 64 + 2. The weight tile is written with 16 input
    /// channels x 2 output channels per warp; a stride of 2 modulo 32 banks puts those 32 words
    /// in 32 banks (64 would put all 16 rows in the same bank).
    /// </summary>
    private const int TileStride = GemmTile + 2;

    /// <summary>
    /// The convolution as an implicit GEMM for GPUs: y[M = Cout, N = B*OH*OW] = W[M, K] P[K, N],
    /// K = k*k*Cin, where P, the im2col matrix, is never built: its element (tap (ky, kx), ci;
    /// pixel n = (b, oy, ox)) is gathered from x[b, ci, oy*S+ky-P, ox*S+kx-P] (zero outside the
    /// input) while staging. Then
    ///   y[b, co, oy, ox] (+)= bias[co] + sum_{ky, kx, ci} w[co, ci, ky, kx] P[(ky, kx, ci), n].
    /// K runs tap by tap, 16 input channels per step, so a thread finds its pixel's input row and
    /// column once per tap and no division is left in the loop over K; a channel count that is not
    /// a multiple of 16 pads each tap's last step with zeros.
    /// x: [B, Cin, H, W], w: [Cout, Cin, k, k], bias: [Cout], y: [B, Cout, OH, OW]; every length
    /// below 2^31 (32-bit indices; the wrapper checks).
    /// Launch: groups of 16 x 16 threads, grid (ceil(N / 64), ceil(Cout / 64)); group (gx, gy) owns
    /// output channels 64 gy.. and pixels 64 gx.., thread (tx, ty) the 4 x 4 outputs of channels
    /// 64 gy + ty + 16 i and pixels 64 gx + tx + 16 j (i, j &lt; 4) in registers.
    /// Shared memory, per step: ws[ci][co] (16 x 64 weights) and xs[ci][pixel] (16 x 64 gathered
    /// inputs), rows of <see cref="TileStride"/> floats. Bank conflicts (32 banks of 4 bytes, a warp
    /// of 32 is two rows ty of the group): the multiply loop reads ws at 2 addresses per warp (one
    /// per ty, broadcast) and xs at 16 consecutive ones (broadcast over the two ty); the gather
    /// writes 32 consecutive pixels of one row; the weight staging writes 16 ci x 2 co, banks
    /// 2 ci + co, all distinct. Coalescing: the gather's 64 consecutive threads read 64 consecutive
    /// pixels of one input channel (consecutive addresses at stride 1, every other one at stride 2);
    /// the weight staging's 16 consecutive threads read w[co, ci.., tap] at a stride of k*k floats,
    /// lines that the tile's other taps then find in cache; the stores write 16 consecutive pixels.
    /// Each staged weight serves 64 pixels and each input 64 channels. Bound: at the VQ decoder's
    /// 3x3 convolutions (128-512 channels, K = 1152-4608) the multiply loop's 8 shared loads per
    /// 16 multiply-adds, not global memory.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void ImplicitGemm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, int accumulate)
    {
        ArrayView<float> ws = SharedMemory.Allocate<float>(GemmSlice * TileStride); // [ci][co]
        ArrayView<float> xs = SharedMemory.Allocate<float>(GemmSlice * TileStride); // [ci][pixel]
        int tx = Group.IdxX, ty = Group.IdxY, thread = ty * GemmThreads + tx;
        int co0 = Grid.IdxY * GemmTile, n0 = Grid.IdxX * GemmTile;
        int plane = s.OutHeight * s.OutWidth, inPlane = s.InHeight * s.InWidth, pixels = s.Batch * plane;
        int taps = s.Kernel * s.Kernel;

        // The gather: this thread stages pixel n0 + thread % 64 at the slice's channels thread / 64 + 4r.
        int gatherPixel = thread % GemmTile, gatherChannel = thread / GemmTile;
        int n = n0 + gatherPixel, np = n % plane;
        int image = n < pixels ? n / plane * s.InChannels * inPlane : 0; // x[b, 0, 0, 0]
        int iy0 = np / s.OutWidth * s.Stride - s.Pad, ix0 = np % s.OutWidth * s.Stride - s.Pad;
        // The weight staging: this thread stages input channel thread % 16 of output channels thread / 16 + 16r.
        int weightChannel = thread % GemmSlice, weightRow = thread / GemmSlice;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int tap = 0; tap < taps; tap++)
        {
            int iy = iy0 + tap / s.Kernel, ix = ix0 + tap % s.Kernel;
            bool inside = n < pixels && iy >= 0 && iy < s.InHeight && ix >= 0 && ix < s.InWidth;
            int at = image + iy * s.InWidth + ix; // x[b, 0, iy, ix]
            for (int ci0 = 0; ci0 < s.InChannels; ci0 += GemmSlice)
            {
                // 256 threads stage 16 x 64 floats of each tile, 4 each; zeros past the edges
                for (int r = 0; r < 4; r++)
                {
                    int ci = ci0 + gatherChannel + 4 * r;
                    xs[(gatherChannel + 4 * r) * TileStride + gatherPixel] =
                        inside && ci < s.InChannels ? x[at + ci * inPlane] : 0f;
                    int co = co0 + weightRow + GemmThreads * r, wci = ci0 + weightChannel;
                    ws[weightChannel * TileStride + weightRow + GemmThreads * r] =
                        co < s.OutChannels && wci < s.InChannels ? w[(co * s.InChannels + wci) * taps + tap] : 0f;
                }
                Group.Barrier();
                for (int k = 0; k < GemmSlice; k++)
                {
                    int wa = k * TileStride + ty, xa = k * TileStride + tx;
                    float v0 = ws[wa], v1 = ws[wa + 16], v2 = ws[wa + 32], v3 = ws[wa + 48];
                    float p0 = xs[xa], p1 = xs[xa + 16], p2 = xs[xa + 32], p3 = xs[xa + 48];
                    c00 = Mad(v0, p0, c00); c01 = Mad(v0, p1, c01); c02 = Mad(v0, p2, c02); c03 = Mad(v0, p3, c03);
                    c10 = Mad(v1, p0, c10); c11 = Mad(v1, p1, c11); c12 = Mad(v1, p2, c12); c13 = Mad(v1, p3, c13);
                    c20 = Mad(v2, p0, c20); c21 = Mad(v2, p1, c21); c22 = Mad(v2, p2, c22); c23 = Mad(v2, p3, c23);
                    c30 = Mad(v3, p0, c30); c31 = Mad(v3, p1, c31); c32 = Mad(v3, p2, c32); c33 = Mad(v3, p3, c33);
                }
                Group.Barrier();
            }
        }
        int pixel = n0 + tx;
        StoreChannels(y, bias, s, accumulate, pixel, co0 + ty, c00, c10, c20, c30);
        StoreChannels(y, bias, s, accumulate, pixel + 16, co0 + ty, c01, c11, c21, c31);
        StoreChannels(y, bias, s, accumulate, pixel + 32, co0 + ty, c02, c12, c22, c32);
        StoreChannels(y, bias, s, accumulate, pixel + 48, co0 + ty, c03, c13, c23, c33);
    }

    /// <summary>
    /// Stores y[b, co0 + 16 i, p] (+)= bias + a_i for output pixel <paramref name="n"/> = (b, p),
    /// the channels i inside the output; nothing for a pixel past the last.
    /// </summary>
    private static void StoreChannels(ArrayView<float> y, ArrayView<float> bias, Conv2dShape s, int accumulate,
        int n, int co0, float a0, float a1, float a2, float a3)
    {
        int plane = s.OutHeight * s.OutWidth;
        if (n >= s.Batch * plane)
            return;
        int at = (n / plane * s.OutChannels + co0) * plane + n % plane; // y[b, co0, p]
        int step = GemmThreads * plane;
        if (co0 < s.OutChannels) Store(y, at, a0 + bias[co0], accumulate);
        if (co0 + 16 < s.OutChannels) Store(y, at + step, a1 + bias[co0 + 16], accumulate);
        if (co0 + 32 < s.OutChannels) Store(y, at + 2 * step, a2 + bias[co0 + 32], accumulate);
        if (co0 + 48 < s.OutChannels) Store(y, at + 3 * step, a3 + bias[co0 + 48], accumulate);
    }
}

public sealed partial class Ops
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Conv2dShape,
        int>? conv2dImplicitGemm;

    /// <summary>
    /// Whether <see cref="Conv2dKernels.ImplicitGemm"/> takes a shape: its indices are 32-bit, so
    /// x, y and the weight must each hold fewer than 2^31 elements (the VQ at batch 64 holds at
    /// most 2^29).
    /// </summary>
    internal static bool ImplicitGemmTakes(Conv2dShape s) =>
        s.InputLength <= int.MaxValue && s.OutputLength <= int.MaxValue && s.WeightLength <= int.MaxValue;

    /// <summary>The implicit-GEMM convolution with shared-memory tiles (GPUs): any kernel size, stride and padding.</summary>
    internal void Conv2dImplicitGemm(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate = false)
    {
        if (!CheckConv2d(x, weight, bias, y, s))
            return;
        if (!ImplicitGemmTakes(s))
            throw new ArgumentException($"Conv2dImplicitGemm: {s} has more than 2^31 elements in x, y or the weight");
        conv2dImplicitGemm ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, Conv2dShape, int>(Conv2dKernels.ImplicitGemm);
        int t = Conv2dKernels.GemmTile, pixels = s.Batch * s.OutHeight * s.OutWidth;
        conv2dImplicitGemm(new KernelConfig(new Index2D(CeilDiv(pixels, t), CeilDiv(s.OutChannels, t)),
            new Index2D(Conv2dKernels.GemmThreads, Conv2dKernels.GemmThreads)), x, weight, bias, y, s, accumulate ? 1 : 0);
    }
}
