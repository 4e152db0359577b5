using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Matrix multiplication with q8_0 weights (<see cref="Q8Matrix"/>): y[M,N] (+)= x[M,K] w[N,K]^T
/// with w[n, k] = q[n, k] * scale[n, k / 32], q: int8 [N, K], scale: float32 [N, ceil(K / 32)].
/// Each weight is dequantised to float32 where it is read and every sum accumulates in float32.
/// </summary>
internal static class GemmInt8Kernels
{
    private const int Block = Q8Matrix.BlockSize;
    private const int RowBlock = GemmKernels.RowBlock;

    /// <summary>K-values of the 4 rows of w that <see cref="RowBlocked"/> dequantises at a time.</summary>
    public const int StagedK = 1024;

    /// <summary>
    /// The register-blocked GEMM on q8_0 weights for CPUs: one thread per 4 rows of w (outputs
    /// n0 .. n0+3 of every row m). K is taken 1024 at a time: the thread dequantises its 4 rows of
    /// w into a private float32 buffer wf[4][1024] block by block (each row's scale loaded once
    /// per block of 32; the last block of a row may be short), then multiplies them with every row
    /// of x (<see cref="GemmRegisterBlocks.MultiplyAllRows"/>: 4 x's and 4 w's from cache for 16
    /// multiply-adds; the first range of K honours Accumulate, later ones add). Each weight is read
    /// from memory and dequantised once per launch. Rows past N repeat the last valid one (loads in
    /// bounds, sums not stored).
    /// Why the buffer: PoCL vectorises a thread's innermost loop along k, as 16 running sums
    /// reduced horizontally where the loop ends. With the multiply-adds inside a loop over one
    /// block of 32 k that meant 16 reductions per 32 k, and a flat loop over k gathers each k's
    /// scale (index k / 32): both ran 2 x 5632 x 1024 at about twice fp32's time on PoCL. The
    /// dequantising loop is a map (no sums), and the multiply-adds run 1024 k per reduction.
    /// When K is a multiple of 32 and at most 1024 (every ARPG projection but the feed-forward's
    /// second) and the 4 rows are all below N, they are one run of q (and of scales) and are
    /// dequantised in memory order (<see cref="DequantizeRun"/>), one stream: read 4 rows side by
    /// side, each row past the first began a stream of its own that the hardware prefetcher had not
    /// seen, and their loads stalled (on PoCL the dequantising loop was half the kernel's time at
    /// ARPG-L batch 1, nearly all of it on rows 1 - 3).
    /// On GPUs wf would be local memory: there the GEMV-shaped kernel runs.
    /// </summary>
    [Kernel]
    public static void RowBlocked(Index1D index, ArrayView<float> x, ArrayView<sbyte> q, ArrayView<float> scales,
        ArrayView<float> y, GemmShape s)
    {
        ArrayView<float> wf = LocalMemory.Allocate<float>(RowBlock * StagedK); // [row][k]
        int n0 = index * RowBlock;
        if (s.K <= StagedK && s.K % Block == 0 && n0 + RowBlock <= s.N)
        {
            DequantizeRun(q, scales, (long)n0 * s.K, RowBlock * s.K, wf);
            GemmRegisterBlocks.MultiplyAllRows(x, wf, s.K, y, s, n0, 0, s.K);
            return;
        }
        long k = s.K;
        int blocks = (s.K + Block - 1) / Block;
        int r0 = n0, r1 = Math.Min(n0 + 1, s.N - 1), r2 = Math.Min(n0 + 2, s.N - 1), r3 = Math.Min(n0 + 3, s.N - 1);
        long w0 = r0 * k, w1 = r1 * k, w2 = r2 * k, w3 = r3 * k;
        long s0 = (long)r0 * blocks, s1 = (long)r1 * blocks, s2 = (long)r2 * blocks, s3 = (long)r3 * blocks;
        for (long c0 = 0; c0 < k; c0 += StagedK)
        {
            int length = (int)Math.Min(StagedK, k - c0), first = (int)(c0 / Block);
            for (int b = 0; b < (length + Block - 1) / Block; b++)
            {
                float f0 = scales[s0 + first + b], f1 = scales[s1 + first + b], f2 = scales[s2 + first + b], f3 = scales[s3 + first + b];
                int end = Math.Min((b + 1) * Block, length);
                for (int j = b * Block; j < end; j++)
                {
                    wf[j] = q[w0 + c0 + j] * f0;
                    wf[StagedK + j] = q[w1 + c0 + j] * f1;
                    wf[2 * StagedK + j] = q[w2 + c0 + j] * f2;
                    wf[3 * StagedK + j] = q[w3 + c0 + j] * f3;
                }
            }
            GemmShape target = c0 == 0 ? s : s with { Accumulate = 1 };
            GemmRegisterBlocks.MultiplyAllRows(x, wf, StagedK, y, target, n0, (int)c0, length);
        }
    }

    /// <summary>
    /// wf[i] = q[start + i] * scale[(start + i) / 32] for i &lt; length, start and length multiples of
    /// 32: a run of whole q8_0 blocks, which is a run of whole rows when K is a multiple of 32 (the
    /// scales of consecutive rows are consecutive too), dequantised in memory order.
    /// </summary>
    private static void DequantizeRun(ArrayView<sbyte> q, ArrayView<float> scales, long start, int length, ArrayView<float> wf)
    {
        long first = start / Block;
        for (int b = 0; b < length / Block; b++)
        {
            float f = scales[first + b];
            for (int j = 0; j < Block; j++)
                wf[b * Block + j] = q[start + b * Block + j] * f;
        }
    }

    /// <summary>Floats from one lane's partial sums to the next in <see cref="Gemv"/>: 32 outputs and 1 of padding.</summary>
    private const int PartialStride = GemmKernels.GemvRows * RowBlock + 1;

    /// <summary>
    /// The GEMV-shaped GEMM of <see cref="GemmKernels.Gemv"/> (decoding-sized M on GPUs) on q8_0
    /// weights: grid N/8 groups of 256 threads, thread (sub, lane) = (t / 32, t % 32) on row
    /// n0 + sub at k = lane, lane + 32, ...; x staged in shared memory 4 rows x 512 k at a time.
    /// A chunk starts at a multiple of 512, so the 32 lanes of one step read the 32 int8 of one
    /// q8_0 block (32 consecutive bytes: one sector) and one scale, the same address for the warp
    /// (a broadcast): w = q * scale, then 4 FMAs against the 4 staged rows. W is 1.125 bytes per
    /// element against 4 (fp32): the kernel is bandwidth-bound, so that is what it saves. The 32
    /// lanes' sums meet in shared memory as in the fp32 kernel.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Gemv(ArrayView<float> x, ArrayView<sbyte> q, ArrayView<float> scales, ArrayView<float> y, GemmShape s)
    {
        const int chunk = GemmKernels.GemvChunk, lanes = GemmKernels.GemvLanes;
        ArrayView<float> xs = SharedMemory.Allocate<float>(RowBlock * chunk); // [m][k]
        ArrayView<float> partial = SharedMemory.Allocate<float>(lanes * PartialStride); // [lane][n][m]
        int t = Group.IdxX, lane = t % lanes, sub = t / lanes, n0 = Grid.IdxX * GemmKernels.GemvRows;
        int row = Math.Min(n0 + sub, s.N - 1), blocks = (s.K + Block - 1) / Block;
        ArrayView<sbyte> qRow = q.SubView((long)row * s.K, s.K);
        ArrayView<float> scaleRow = scales.SubView((long)row * blocks, blocks);
        for (int m0 = 0; m0 < s.M; m0 += RowBlock)
        {
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0; // outputs (m0 + i, n0 + sub)
            // the values' view carried from chunk to chunk, as in the fp32 kernel (32-bit offsets in
            // the loop); the scales are indexed from the row (carrying a second view made ILGPU
            // emit a generic-pointer cast, which PoCL cannot compile)
            ArrayView<sbyte> qChunk = qRow;
            for (int c0 = 0; c0 < s.K; c0 += chunk)
            {
                GemmKernels.StageRow(xs, 0, GemmKernels.XRow(x, s, m0), c0, t, s.K);
                GemmKernels.StageRow(xs, 1, GemmKernels.XRow(x, s, m0 + 1), c0, t, s.K);
                GemmKernels.StageRow(xs, 2, GemmKernels.XRow(x, s, m0 + 2), c0, t, s.K);
                GemmKernels.StageRow(xs, 3, GemmKernels.XRow(x, s, m0 + 3), c0, t, s.K);
                Group.Barrier();
                int length = Math.Min(chunk, s.K - c0);
                for (int kk = lane; kk < length; kk += lanes)
                {
                    float v = qChunk[kk] * scaleRow[(c0 + kk) / Block];
                    a0 = Mad(v, xs[kk], a0);
                    a1 = Mad(v, xs[chunk + kk], a1);
                    a2 = Mad(v, xs[2 * chunk + kk], a2);
                    a3 = Mad(v, xs[3 * chunk + kk], a3);
                }
                if (c0 + chunk < s.K)
                    qChunk = qChunk.SubView(chunk, qChunk.Length - chunk);
                Group.Barrier();
            }
            int at = lane * PartialStride + sub * RowBlock;
            partial[at] = a0; partial[at + 1] = a1; partial[at + 2] = a2; partial[at + 3] = a3;
            Group.Barrier();
            if (t < GemmKernels.GemvRows * RowBlock)
            {
                // thread t sums output (m0 + t % 4, n0 + t / 4) over the 32 lanes
                float sum = 0f;
                for (int j = 0; j < lanes; j++)
                    sum += partial[j * PartialStride + t];
                int m = m0 + t % RowBlock, n = n0 + t / RowBlock;
                if (m < s.M && n < s.N)
                    GemmKernels.Store(y, s, m, n, sum);
            }
            Group.Barrier(); // partial is written again by the next block of rows
        }
    }

    /// <summary>
    /// w[n, k] = q[n, k] * scale[n, k / 32] into float32, one thread per element (i = n K + k &lt;
    /// N K): the large-M GPU path dequantises a weight once and runs the fp32 tiled GEMM on it,
    /// which reuses each element 64 or 128 times. Element-wise, coalesced; bandwidth-bound.
    /// </summary>
    [Kernel]
    public static void Dequantize(Index1D i, ArrayView<sbyte> q, ArrayView<float> scales, ArrayView<float> w, int k)
    {
        int n = i / k, c = i - n * k;
        w[i] = q[i] * scales[(long)n * ((k + Block - 1) / Block) + c / Block];
    }
}

public sealed partial class Ops
{
    private Q8Launchers? gemm8;

    private Q8Launchers Gemm8 => gemm8 ??= new(Accelerator, ImplicitGroupSize, NewScratch());

    /// <summary>The row-blocked (barrier-free) GEMM on weights in any storage (tests compare each storage's kernel).</summary>
    internal void GemmRowBlocked(ArrayView<float> x, StorageTensor w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) => Run(GemmKernel.RowBlocked, default, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>
    /// A GEMM kernel on q8_0 weights: the row-blocked and GEMV-shaped kernels read them directly;
    /// the tiled variant (large M on GPUs) dequantises the matrix into a float32 scratch buffer
    /// (<see cref="GemmInt8Kernels.Dequantize"/>, one pass over N K) and runs the fp32 tiled kernel.
    /// </summary>
    private void RunQ8(GemmKernel variant, GemmTiling tiling, ArrayView<float> x, Q8Tensor w, ArrayView<float> y, GemmShape s)
    {
        if (variant == GemmKernel.Tiled)
            Gemm32.Run(variant, tiling, x, Gemm8.Dequantized(w, s), y, s);
        else
            Gemm8.Run(variant, x, w, y, s);
    }

    /// <summary>The q8_0 GEMM kernels, compiled on first use, and the tiled path's scratch buffer.</summary>
    private sealed class Q8Launchers(Accelerator accelerator, int implicitGroupSize, ScratchBuffer scratch)
    {
        private Action<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, GemmShape>? rowBlocked;
        private Action<KernelConfig, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, GemmShape>? gemv;
        private Action<Index1D, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int>? dequantize;

        public void Run(GemmKernel variant, ArrayView<float> x, Q8Tensor w, ArrayView<float> y, GemmShape s)
        {
            Check(w, s);
            Require(x, (long)s.M * s.K, "Gemm x");
            Require(y, (long)s.M * s.N, "Gemm y");
            if (s.M == 0 || s.N == 0)
                return;
            if (variant == GemmKernel.RowBlocked)
            {
                rowBlocked ??= accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<sbyte>,
                    ArrayView<float>, ArrayView<float>, GemmShape>(GemmInt8Kernels.RowBlocked, implicitGroupSize);
                rowBlocked((s.N + GemmKernels.RowBlock - 1) / GemmKernels.RowBlock, x, w.Values.View, w.Scales.View, y, s);
                return;
            }
            gemv ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, GemmShape>(
                GemmInt8Kernels.Gemv);
            gemv(new KernelConfig((s.N + GemmKernels.GemvRows - 1) / GemmKernels.GemvRows, GemmKernels.GemvGroupSize),
                x, w.Values.View, w.Scales.View, y, s);
        }

        /// <summary>The matrix as float32 in the scratch buffer.</summary>
        public ArrayView<float> Dequantized(Q8Tensor w, GemmShape s)
        {
            Check(w, s);
            long length = (long)s.N * s.K;
            ArrayView<float> view = scratch.Take(length);
            if (length == 0)
                return view;
            dequantize ??= accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int>(
                GemmInt8Kernels.Dequantize, implicitGroupSize);
            dequantize(checked((int)length), w.Values.View, w.Scales.View, view, s.K);
            return view;
        }

        private static void Check(Q8Tensor w, GemmShape s)
        {
            if (w.Columns != s.K || w.Rows < s.N)
                throw new ArgumentException($"Gemm w: a q8_0 matrix [{w.Rows}, {w.Columns}] for a shape with N = {s.N}, K = {s.K}");
        }
    }
}
