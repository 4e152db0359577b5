using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Shape of <c>Y[M,N] (+)= X[M,K] W[N,K]^T</c>: PyTorch's Linear layout, so weights are used as
/// the checkpoint stores them. Accumulate = 1 adds into Y (a residual connection for free),
/// 0 overwrites it.
/// </summary>
public readonly record struct GemmShape(int M, int N, int K, int Accumulate);

/// <summary>Matrix multiplication kernels.</summary>
internal static class GemmKernels
{
    /// <summary>Rows of X (and of W) each thread of the register-blocked kernels handles.</summary>
    public const int RowBlock = 4;

    /// <summary>
    /// Barrier-free GEMM with 4 x 4 register blocking, one thread per block of 4 rows of X and
    /// 4 rows of W (4 outputs n):
    ///   y[m, n] (+)= sum_k x[m, k] w[n, k]   for m in m0 .. m0+3, n in n0 .. n0+3.
    /// x: [M, K], w: [N, K], y: [M, N]. Per k it loads 4 x's and 4 w's for 16 multiply-adds, so
    /// each weight is read once per 4 rows and each input once per 4 outputs; a last one or two
    /// rows of x take a 2 x 4 block (<see cref="GemmRegisterBlocks.Multiply"/>). Rows and columns
    /// past the edges repeat the last valid one, so every load stays in bounds; their sums are
    /// never stored. On the CPU accelerator this ran at 2.3 GFLOP/s at 128 x 1024 x 1024 against
    /// 1.0 for one output column per thread.
    /// Consecutive threads take consecutive row blocks of X for the same 4 rows of W, so a CPU
    /// core, which runs a group's threads one after another, finds those W rows in its cache and
    /// reads W from memory once, not once per row block (measured on PoCL: 16 x 2816 x 1024 from
    /// 44 to 54 GFLOP/s; ARPG-L batch 1 from 15.4 to 13.2 s).
    /// </summary>
    [Kernel]
    public static void RowBlocked<TW, SW>(Index1D index, ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        where TW : unmanaged where SW : struct, IStorage<TW> => Block<TW, SW>(index, x, w, y, s);

    /// <summary>The 4 x 4 register blocks that cover an M x N output: the threads of <see cref="RowBlocked"/>.</summary>
    internal static long RegisterBlocks(GemmShape s) => (long)((s.M + RowBlock - 1) / RowBlock) * ((s.N + RowBlock - 1) / RowBlock);

    /// <summary>
    /// Register block i of <see cref="RowBlocked"/>: outputs (m0 .. m0+3, n0 .. n0+3) over the
    /// whole of K (<see cref="GemmRegisterBlocks.Multiply"/>; a 2 x 4 block for a last one or two
    /// rows of x). Rows of W past N repeat the last valid one (loads in bounds, sums not stored).
    /// </summary>
    internal static void Block<TW, SW>(int i, ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        int mBlocks = (s.M + RowBlock - 1) / RowBlock;
        int m0 = i % mBlocks * RowBlock, n0 = i / mBlocks * RowBlock;
        GemmRegisterBlocks.Multiply<TW, SW>(x, s, m0, 0, s.K, WRow(w, s, n0), WRow(w, s, n0 + 1), WRow(w, s, n0 + 2),
            WRow(w, s, n0 + 3), y, n0);
    }

    /// <summary>Row n of w (rows past N repeat the last).</summary>
    private static ArrayView<TW> WRow<TW>(ArrayView<TW> w, GemmShape s, int n) where TW : unmanaged =>
        w.SubView((long)Math.Min(n, s.N - 1) * s.K, s.K);

    internal static void Store(ArrayView<float> y, GemmShape s, int m, int n, float value)
    {
        long at = (long)m * s.N + n;
        y[at] = s.Accumulate != 0 ? y[at] + value : value;
    }

    /// <summary>Threads of a <see cref="Gemv"/> group.</summary>
    public const int GemvGroupSize = 256;
    /// <summary>Threads that share one row of W in <see cref="Gemv"/>.</summary>
    public const int GemvLanes = 32;
    /// <summary>Rows of W (outputs n) one <see cref="Gemv"/> group computes.</summary>
    public const int GemvRows = GemvGroupSize / GemvLanes;
    /// <summary>K-values of x that <see cref="Gemv"/> stages in shared memory per step.</summary>
    public const int GemvChunk = 2 * GemvGroupSize;
    /// <summary>Floats from one lane's partial sums to the next: 32 outputs and 1 of padding.</summary>
    private const int GemvPartialStride = GemvRows * RowBlock + 1;

    /// <summary>
    /// GEMV-shaped GEMM for decoding-sized M (1 - 63 rows) on GPUs: y[m, n] (+)= sum_k x[m, k] w[n, k],
    /// x: [M, K], w: [N, K] in fp32 or fp16, y: [M, N]. Grid N/8 groups of 256 threads: the group
    /// owns W rows n0 .. n0+7, thread (sub, lane) = (t / 32, t % 32) takes row n0 + sub and
    /// k = lane, lane + 32, ..., so 32 consecutive threads read 32 consecutive elements of one W
    /// row (128 bytes in fp32, 64 in fp16): W streams through once per block of 4 rows of x,
    /// from memory the first time and from L1/L2 after (8 rows x K stay cached).
    /// For each block of 4 rows of x, chunks of 512 k of those rows are staged in shared memory,
    /// xs[m][k] (all eight W rows use them: 8 reads from shared per load from global memory);
    /// a lane reads consecutive k, conflict-free. Each thread holds 4 sums (its row n, 4 m's); the
    /// 32 lanes' sums meet in partial[lane][sub * 4 + m], rows 33 floats apart, so the writes of a
    /// warp (32 lanes, one sub) fall on 32 distinct banks and the column reads of the final sum too.
    /// Per k a thread loads one W element and 4 x's from shared memory (each warp load 32
    /// consecutive floats, one wavefront) for 4 FMAs: 1 shared wavefront per FMA, against about
    /// 18 bytes per cycle per SM of W that HBM delivers, well within shared memory's 128.
    /// Bound: memory bandwidth (each W element is used for 4 FMAs per block of rows).
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Gemv<TW, SW>(ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        SW storage = default;
        ArrayView<float> xs = SharedMemory.Allocate<float>(RowBlock * GemvChunk); // [m][k]
        ArrayView<float> partial = SharedMemory.Allocate<float>(GemvLanes * GemvPartialStride); // [lane][n][m]
        int t = Group.IdxX, lane = t % GemvLanes, sub = t / GemvLanes, n0 = Grid.IdxX * GemvRows;
        // rows of W past N repeat the last row, so every load stays in bounds; they are not stored
        ArrayView<TW> wRow = w.SubView((long)Math.Min(n0 + sub, s.N - 1) * s.K, s.K);
        for (int m0 = 0; m0 < s.M; m0 += RowBlock)
        {
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0; // outputs (m0 + i, n0 + sub)
            // wChunk = w[n, c0 ..], advanced per chunk: ILGPU computes a value next to its first
            // use, so with wRow[c0 + kk] the row's 64-bit offset was computed inside the loop over k;
            // a view carried from chunk to chunk is computed before it
            ArrayView<TW> wChunk = wRow;
            for (int c0 = 0; c0 < s.K; c0 += GemvChunk)
            {
                StageRow(xs, 0, XRow(x, s, m0), c0, t, s.K);
                StageRow(xs, 1, XRow(x, s, m0 + 1), c0, t, s.K);
                StageRow(xs, 2, XRow(x, s, m0 + 2), c0, t, s.K);
                StageRow(xs, 3, XRow(x, s, m0 + 3), c0, t, s.K);
                Group.Barrier();
                int length = Math.Min(GemvChunk, s.K - c0);
                for (int kk = lane; kk < length; kk += GemvLanes)
                {
                    float v = storage.Load32(wChunk, kk);
                    a0 = Mad(v, xs[kk], a0);
                    a1 = Mad(v, xs[GemvChunk + kk], a1);
                    a2 = Mad(v, xs[2 * GemvChunk + kk], a2);
                    a3 = Mad(v, xs[3 * GemvChunk + kk], a3);
                }
                if (c0 + GemvChunk < s.K)
                    wChunk = wChunk.SubView(GemvChunk, wChunk.Length - GemvChunk);
                Group.Barrier();
            }
            int at = lane * GemvPartialStride + sub * RowBlock;
            partial[at] = a0; partial[at + 1] = a1; partial[at + 2] = a2; partial[at + 3] = a3;
            Group.Barrier();
            if (t < GemvRows * RowBlock)
            {
                // thread t sums output (m0 + t % 4, n0 + t / 4) over the 32 lanes
                float sum = 0f;
                for (int j = 0; j < GemvLanes; j++)
                    sum += partial[j * GemvPartialStride + t];
                int m = m0 + t % RowBlock, n = n0 + t / RowBlock;
                if (m < s.M && n < s.N)
                    Store(y, s, m, n, sum);
            }
            Group.Barrier(); // partial is written again by the next block of rows
        }
    }

    /// <summary>Row m of x (rows past M repeat the last: loads stay in bounds, those sums are not stored).</summary>
    internal static ArrayView<float> XRow(ArrayView<float> x, GemmShape s, int m) =>
        x.SubView((long)Math.Min(m, s.M - 1) * s.K, s.K);

    /// <summary>xs[r][j] = row[c0 + j] for the chunk's j (thread t takes j = t and t + 256), zero past K.</summary>
    internal static void StageRow(ArrayView<float> xs, int r, ArrayView<float> row, int c0, int t, int k)
    {
        int k0 = c0 + t, k1 = k0 + GemvGroupSize;
        xs[r * GemvChunk + t] = k0 < k ? row[k0] : 0f;
        xs[r * GemvChunk + GemvGroupSize + t] = k1 < k ? row[k1] : 0f;
    }

    /// <summary>Outputs (m, n .. n+3), those inside the shape.</summary>
    internal static void StoreRow(ArrayView<float> y, GemmShape s, int m, int n, float v0, float v1, float v2, float v3)
    {
        if (m >= s.M)
            return;
        if (n < s.N) Store(y, s, m, n, v0);
        if (n + 1 < s.N) Store(y, s, m, n + 1, v1);
        if (n + 2 < s.N) Store(y, s, m, n + 2, v2);
        if (n + 3 < s.N) Store(y, s, m, n + 3, v3);
    }
}

public sealed partial class Ops
{
    private GemmLaunchers<float, Fp32Storage>? gemm32;
    private GemmLaunchers<ushort, Fp16Storage>? gemm16;
    private GemmSplits? gemmSplits;

    /// <summary>Rows of x from which the tiled kernel is used on GPUs.</summary>
    private const int TiledFromRows = 64;

    private GemmSplits Splits => gemmSplits ??= new(Accelerator, ImplicitGroupSize, NewScratch());
    private GemmLaunchers<float, Fp32Storage> Gemm32 => gemm32 ??= new(Accelerator, ImplicitGroupSize, Splits);
    private GemmLaunchers<ushort, Fp16Storage> Gemm16 => gemm16 ??= new(Accelerator, ImplicitGroupSize, Splits);

    /// <summary>
    /// y[M,N] = x[M,K] w[N,K]^T, or y += x w^T when <paramref name="accumulate"/>. Host CPUs
    /// (PoCL, ILGPU's CPU accelerator) take the register-blocked kernel; GPUs the tiled one for
    /// large M and the GEMV-shaped one for small M (decoding).
    /// </summary>
    public void Gemm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) =>
        Gemm32.Run(Choose(m), Tiling(m, n, k), x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>As <see cref="Gemm(ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int, int, bool)"/> with weights in float32 or float16.</summary>
    /// <remarks>With fp16 weights under the profile's tensor-core variants, x is rounded to fp16 too (<see cref="GemmFp16Activations"/>).</remarks>
    public void Gemm(ArrayView<float> x, StorageTensor w, ArrayView<float> y, int m, int n, int k, bool accumulate = false)
    {
        var shape = new GemmShape(m, n, k, accumulate ? 1 : 0);
        if (w.F16 is { } half && UsesFp16Activations)
            GemmFp16Activations(x, half.View, y, shape);
        else
            Run(Choose(m), Tiling(m, n, k), x, w, y, shape);
    }

    /// <summary>The row-blocked (barrier-free) GEMM; also the reference for the others.</summary>
    internal void GemmRowBlocked(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) =>
        Gemm32.Run(GemmKernel.RowBlocked, default, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>The GEMV-shaped GEMM for decoding-sized M (groups of 256 threads: GPUs and PoCL).</summary>
    internal void GemmGemv(ArrayView<float> x, StorageTensor w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) => Run(GemmKernel.Gemv, default, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>The tiled shared-memory GEMM (groups of 256 threads: GPUs and PoCL), its tiling chosen for the shape.</summary>
    internal void GemmTiled(ArrayView<float> x, StorageTensor w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) => GemmTiled(x, w, y, m, n, k, accumulate, Tiling(m, n, k));

    /// <summary>The tiled GEMM with a given tiling (tests cover each one).</summary>
    internal void GemmTiled(ArrayView<float> x, StorageTensor w, ArrayView<float> y, int m, int n, int k,
        bool accumulate, GemmTiling tiling) => Run(GemmKernel.Tiled, tiling, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>
    /// A GEMM kernel on weights in float32, float16 (under the row-blocked profile: <see cref="GemmRowBlockedFp16"/>)
    /// or q8_0 int8 (GemmInt8.cs).
    /// </summary>
    private void Run(GemmKernel variant, GemmTiling tiling, ArrayView<float> x, StorageTensor w, ArrayView<float> y, GemmShape s)
    {
        if (w.Q8 is { } q8)
            RunQ8(variant, tiling, x, q8, y, s);
        else if (w.F16 is { } half && variant == GemmKernel.RowBlocked)
            GemmRowBlockedFp16(x, half.View, y, s);
        else if (w.F16 is { } bits)
            Gemm16.Run(variant, tiling, x, bits.View, y, s);
        else
            Gemm32.Run(variant, tiling, x, w.F32!.View, y, s);
    }

    private Action<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, GemmShape>? rowBlockedFp16, convertingInLoop;

    /// <summary>
    /// The row-blocked GEMM of fp16 weights: up to <see cref="GemmFp16Kernels.MaxRowsConvertedInLoop"/>
    /// rows of x, the float32 kernel's register blocks with each weight converted inside the
    /// multiply-add loop (<see cref="FiniteFp16Storage"/>); more rows, <see cref="GemmFp16Kernels.RowBlockedFp16"/>
    /// (each weight converted once into a private chunk).
    /// </summary>
    internal void GemmRowBlockedFp16(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, GemmShape s)
    {
        Require(x, (long)s.M * s.K, "Gemm x");
        Require(w, (long)s.N * s.K, "Gemm w");
        Require(y, (long)s.M * s.N, "Gemm y");
        if (s.M == 0 || s.N == 0)
            return;
        if (s.M <= GemmFp16Kernels.MaxRowsConvertedInLoop)
        {
            convertingInLoop ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>,
                ArrayView<float>, GemmShape>(GemmKernels.RowBlocked<ushort, FiniteFp16Storage>, ImplicitGroupSize);
            convertingInLoop(checked((int)GemmKernels.RegisterBlocks(s)), x, w, y, s);
            return;
        }
        rowBlockedFp16 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>,
            ArrayView<float>, GemmShape>(GemmFp16Kernels.RowBlockedFp16, ImplicitGroupSize);
        rowBlockedFp16(checked((s.N + GemmKernels.RowBlock - 1) / GemmKernels.RowBlock), x, w, y, s);
    }

    /// <summary>
    /// The kernel for a shape under this device's profile: the row-blocked profile (ILGPU's CPU
    /// accelerator and PoCL) takes the register-blocked one, whose inner loop PoCL vectorises once it may reassociate sums
    /// (<see cref="PoclCompatibility.AllowReassociation"/>; measured on PoCL at 2 x 2816 x 1024:
    /// 22 GFLOP/s against 4.8 and 0.24 for the earlier grouped and tiled GPU kernels; at
    /// 128 x 1024 x 1024: 112 against 17 and 8). On GPUs the tiled kernel for
    /// large M and the GEMV-shaped one for decoding-sized M.
    /// </summary>
    private GemmKernel Choose(int m) =>
        Profile.Gemm == GemmVariant.RowBlocked ? GemmKernel.RowBlocked
        : m >= TiledFromRows ? GemmKernel.Tiled
        : GemmKernel.Gemv;

    /// <summary>The tiled kernel's tiling for a shape on this device.</summary>
    private GemmTiling Tiling(int m, int n, int k) => GemmTiling.For(m, n, k, Accelerator.NumMultiprocessors);

    private enum GemmKernel { RowBlocked, Gemv, Tiled }

    /// <summary>
    /// What the K-split tiled GEMM needs besides its kernel: a scratch buffer for the splits'
    /// partial products and the kernel that adds them into y.
    /// </summary>
    private sealed class GemmSplits(Accelerator accelerator, int implicitGroupSize, ScratchBuffer partial)
    {
        private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>? sum;

        /// <summary>The partial products' buffer, <paramref name="length"/> floats: [splits, M, N].</summary>
        public ArrayView<float> Partial(long length) => partial.Take(length);

        /// <summary>y[i] (+)= sum of the splits' partial[z, i] (written through <see cref="Partial"/>).</summary>
        public void Sum(ArrayView<float> y, GemmShape s, int splits)
        {
            sum ??= accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(
                GemmTileKernels.SumSplits, implicitGroupSize);
            int count = checked(s.M * s.N);
            sum(count, partial.Take((long)splits * count), y, count, splits, s.Accumulate);
        }
    }

    /// <summary>The GEMM kernels for one weight storage type, compiled on first use.</summary>
    private sealed class GemmLaunchers<TW, SW>(Accelerator accelerator, int implicitGroupSize, GemmSplits splits)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        private Action<Index1D, ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>? rowBlocked;
        private Action<KernelConfig, ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>? gemv;
        private Action<KernelConfig, ArrayView<float>, ArrayView<TW>, ArrayView<float>, ArrayView<float>, GemmShape, int>? tiled128, tiled64;

        public void Run(GemmKernel variant, GemmTiling tiling, ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        {
            Require(x, (long)s.M * s.K, "Gemm x");
            Require(w, (long)s.N * s.K, "Gemm w");
            Require(y, (long)s.M * s.N, "Gemm y");
            if (s.M == 0 || s.N == 0)
                return;
            switch (variant)
            {
                case GemmKernel.RowBlocked:
                    rowBlocked ??= accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<TW>,
                        ArrayView<float>, GemmShape>(GemmKernels.RowBlocked<TW, SW>, implicitGroupSize);
                    rowBlocked(checked((int)GemmKernels.RegisterBlocks(s)), x, w, y, s);
                    break;
                case GemmKernel.Gemv:
                    gemv ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>(
                        GemmKernels.Gemv<TW, SW>);
                    gemv(new KernelConfig((s.N + GemmKernels.GemvRows - 1) / GemmKernels.GemvRows, GemmKernels.GemvGroupSize),
                        x, w, y, s);
                    break;
                default:
                    RunTiled(tiling, x, w, y, s);
                    break;
            }
        }

        private void RunTiled(GemmTiling tiling, ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        {
            if (tiling.TileRows is not (128 or 64) || tiling.Splits < 1)
                throw new ArgumentException($"tiled GEMM: no kernel for {tiling}");
            var tiled = tiling.TileRows == 128
                ? tiled128 ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<TW>, ArrayView<float>, ArrayView<float>, GemmShape, int>(
                    GemmTileKernels.Tiled128<TW, SW>)
                : tiled64 ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<TW>, ArrayView<float>, ArrayView<float>, GemmShape, int>(
                    GemmTileKernels.Tiled64<TW, SW>);
            int count = tiling.SplitCount(s.K), rows = tiling.TileRows;
            var grid = new Index3D((s.N + rows - 1) / rows, (s.M + rows - 1) / rows, count);
            var config = new KernelConfig(grid, new Index3D(GemmTileKernels.GroupSize, 1, 1));
            if (count == 1)
            {
                tiled(config, x, w, y, y, s, Math.Max(s.K, 1));
                return;
            }
            ArrayView<float> partial = splits.Partial((long)count * s.M * s.N);
            tiled(config, x, w, y, partial, s, tiling.SplitK(s.K));
            splits.Sum(y, s, count);
        }
    }
}
