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
    /// each weight is read once per 4 rows and each input once per 4 outputs. Rows and columns
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
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        SW storage = default;
        int i = index;
        int mBlocks = (s.M + RowBlock - 1) / RowBlock;
        int m0 = i % mBlocks * RowBlock, n0 = i / mBlocks * RowBlock;
        long k = s.K;
        long x0 = m0 * k, x1 = Math.Min(m0 + 1, s.M - 1) * k, x2 = Math.Min(m0 + 2, s.M - 1) * k, x3 = Math.Min(m0 + 3, s.M - 1) * k;
        long w0 = n0 * k, w1 = Math.Min(n0 + 1, s.N - 1) * k, w2 = Math.Min(n0 + 2, s.N - 1) * k, w3 = Math.Min(n0 + 3, s.N - 1) * k;
        float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0; // a[m][n]
        for (long c = 0; c < k; c++)
        {
            float p0 = x[x0 + c], p1 = x[x1 + c], p2 = x[x2 + c], p3 = x[x3 + c];
            float v0 = storage.Load(w, w0 + c), v1 = storage.Load(w, w1 + c);
            float v2 = storage.Load(w, w2 + c), v3 = storage.Load(w, w3 + c);
            a00 = Mad(p0, v0, a00); a01 = Mad(p0, v1, a01); a02 = Mad(p0, v2, a02); a03 = Mad(p0, v3, a03);
            a10 = Mad(p1, v0, a10); a11 = Mad(p1, v1, a11); a12 = Mad(p1, v2, a12); a13 = Mad(p1, v3, a13);
            a20 = Mad(p2, v0, a20); a21 = Mad(p2, v1, a21); a22 = Mad(p2, v2, a22); a23 = Mad(p2, v3, a23);
            a30 = Mad(p3, v0, a30); a31 = Mad(p3, v1, a31); a32 = Mad(p3, v2, a32); a33 = Mad(p3, v3, a33);
        }
        StoreRow(y, s, m0, n0, a00, a01, a02, a03);
        StoreRow(y, s, m0 + 1, n0, a10, a11, a12, a13);
        StoreRow(y, s, m0 + 2, n0, a20, a21, a22, a23);
        StoreRow(y, s, m0 + 3, n0, a30, a31, a32, a33);
    }

    private static void Store(ArrayView<float> y, GemmShape s, int m, int n, float value)
    {
        long at = (long)m * s.N + n;
        y[at] = s.Accumulate != 0 ? y[at] + value : value;
    }

    /// <summary>Work items of a <see cref="Grouped"/> group: they share one K-slice, 16 floats wide.</summary>
    public const int GroupWidth = 16;
    /// <summary>Rows of W (outputs n) one <see cref="Grouped"/> group computes.</summary>
    public const int GroupRows = 4;

    /// <summary>
    /// GEMV-shaped GEMM for small M on GPUs: y[m, n] (+)= sum_k x[m, k] w[n, k].
    /// A group of 16 work items owns 4 rows of W (n0 .. n0+3); work item t reads k = t, t+16, ...
    /// so the group's loads of a W row are 16 consecutive floats (coalesced), and W streams from
    /// memory once while X (small) stays in cache. For each block of 4 rows of X the 16 partial
    /// sums of every output meet in shared memory.
    /// K must be a multiple of 16 (every ARPG width is).
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Grouped<TW, SW>(ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        SW storage = default;
        ArrayView<float> partial = SharedMemory.Allocate<float>(GroupRows * RowBlock * GroupWidth); // [n][m][t]
        int t = Group.IdxX, n0 = Grid.IdxX * GroupRows;
        long k = s.K;
        // rows of W past N repeat the last row, so every load stays in bounds; they are not stored
        long w0 = Math.Min(n0, s.N - 1) * k, w1 = Math.Min(n0 + 1, s.N - 1) * k;
        long w2 = Math.Min(n0 + 2, s.N - 1) * k, w3 = Math.Min(n0 + 3, s.N - 1) * k;
        for (int m0 = 0; m0 < s.M; m0 += RowBlock)
        {
            long x0 = m0 * k, x1 = Math.Min(m0 + 1, s.M - 1) * k, x2 = Math.Min(m0 + 2, s.M - 1) * k, x3 = Math.Min(m0 + 3, s.M - 1) * k;
            float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
            float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0; // a[n][m]
            // K is a multiple of 16 (the wrapper checks): no bounds test in the loop, which
            // PoCL would otherwise not vectorise (measured 4.5 against 6-7 GB/s)
            for (long c = t; c < k; c += GroupWidth)
            {
                float p0 = x[x0 + c], p1 = x[x1 + c], p2 = x[x2 + c], p3 = x[x3 + c];
                float v0 = storage.Load(w, w0 + c), v1 = storage.Load(w, w1 + c);
                float v2 = storage.Load(w, w2 + c), v3 = storage.Load(w, w3 + c);
                a00 = Mad(v0, p0, a00); a01 = Mad(v0, p1, a01); a02 = Mad(v0, p2, a02); a03 = Mad(v0, p3, a03);
                a10 = Mad(v1, p0, a10); a11 = Mad(v1, p1, a11); a12 = Mad(v1, p2, a12); a13 = Mad(v1, p3, a13);
                a20 = Mad(v2, p0, a20); a21 = Mad(v2, p1, a21); a22 = Mad(v2, p2, a22); a23 = Mad(v2, p3, a23);
                a30 = Mad(v3, p0, a30); a31 = Mad(v3, p1, a31); a32 = Mad(v3, p2, a32); a33 = Mad(v3, p3, a33);
            }
            const int W = GroupWidth;
            partial[0 * W + t] = a00; partial[1 * W + t] = a01; partial[2 * W + t] = a02; partial[3 * W + t] = a03;
            partial[4 * W + t] = a10; partial[5 * W + t] = a11; partial[6 * W + t] = a12; partial[7 * W + t] = a13;
            partial[8 * W + t] = a20; partial[9 * W + t] = a21; partial[10 * W + t] = a22; partial[11 * W + t] = a23;
            partial[12 * W + t] = a30; partial[13 * W + t] = a31; partial[14 * W + t] = a32; partial[15 * W + t] = a33;
            Group.Barrier();
            // work item t (< 16) sums output (n0 + t/4, m0 + t%4) over the 16 partials
            int n = n0 + t / RowBlock, m = m0 + t % RowBlock;
            float sum = 0f;
            for (int j = 0; j < W; j++)
                sum += partial[t * W + j];
            if (n < s.N && m < s.M)
                Store(y, s, m, n, sum);
            Group.Barrier();
        }
    }

    /// <summary>Output tile of one group of the tiled GEMM: 64 x 64, 16 x 16 threads of 4 x 4 outputs.</summary>
    public const int Tile = 64;
    /// <summary>Threads per side of a tiled-GEMM group.</summary>
    public const int TileThreads = 16;
    /// <summary>The K-slice staged in shared memory per iteration.</summary>
    public const int TileK = 16;

    /// <summary>
    /// Tiled GEMM for GPUs and PoCL, y[M,N] (+)= x[M,K] w[N,K]^T. A group of 16 x 16 threads owns a
    /// 64 x 64 output tile; per 16-wide slice of K it stages x[64 rows, 16] and w[64 rows, 16] in
    /// shared memory (k-major, so the inner loop reads consecutive m and n), then each thread adds
    /// the outer product of its 4 x's and 4 w's to 16 register accumulators. Each element loaded
    /// from global memory is reused 64 times.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Tiled<TW, SW>(ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        SW storage = default;
        ArrayView<float> xs = SharedMemory.Allocate<float>(TileK * Tile); // [k][m]
        ArrayView<float> ws = SharedMemory.Allocate<float>(TileK * Tile); // [k][n]
        int tx = Group.IdxX, ty = Group.IdxY, thread = ty * TileThreads + tx;
        int m0 = Grid.IdxY * Tile, n0 = Grid.IdxX * Tile;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = 0; k0 < s.K; k0 += TileK)
        {
            // 256 threads stage 64 x 16 elements of each operand, 4 each; zeros past the edges
            for (int r = 0; r < 4; r++)
            {
                int e = thread + r * TileThreads * TileThreads;
                int row = e / TileK, kk = e % TileK, gk = k0 + kk;
                int gm = m0 + row, gn = n0 + row;
                xs[kk * Tile + row] = gm < s.M && gk < s.K ? x[(long)gm * s.K + gk] : 0f;
                ws[kk * Tile + row] = gn < s.N && gk < s.K ? storage.Load(w, (long)gn * s.K + gk) : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int xa = kk * Tile + ty * 4, wa = kk * Tile + tx * 4;
                float a0 = xs[xa], a1 = xs[xa + 1], a2 = xs[xa + 2], a3 = xs[xa + 3];
                float b0 = ws[wa], b1 = ws[wa + 1], b2 = ws[wa + 2], b3 = ws[wa + 3];
                c00 = Mad(a0, b0, c00); c01 = Mad(a0, b1, c01); c02 = Mad(a0, b2, c02); c03 = Mad(a0, b3, c03);
                c10 = Mad(a1, b0, c10); c11 = Mad(a1, b1, c11); c12 = Mad(a1, b2, c12); c13 = Mad(a1, b3, c13);
                c20 = Mad(a2, b0, c20); c21 = Mad(a2, b1, c21); c22 = Mad(a2, b2, c22); c23 = Mad(a2, b3, c23);
                c30 = Mad(a3, b0, c30); c31 = Mad(a3, b1, c31); c32 = Mad(a3, b2, c32); c33 = Mad(a3, b3, c33);
            }
            Group.Barrier();
        }
        int m = m0 + ty * 4, n = n0 + tx * 4;
        StoreRow(y, s, m, n, c00, c01, c02, c03);
        StoreRow(y, s, m + 1, n, c10, c11, c12, c13);
        StoreRow(y, s, m + 2, n, c20, c21, c22, c23);
        StoreRow(y, s, m + 3, n, c30, c31, c32, c33);
    }

    private static void StoreRow(ArrayView<float> y, GemmShape s, int m, int n, float v0, float v1, float v2, float v3)
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

    /// <summary>Rows of x from which the tiled kernel is used on GPUs.</summary>
    private const int TiledFromRows = 64;

    private GemmLaunchers<float, Fp32Storage> Gemm32 => gemm32 ??= new(Accelerator, ImplicitGroupSize);
    private GemmLaunchers<ushort, Fp16Storage> Gemm16 => gemm16 ??= new(Accelerator, ImplicitGroupSize);

    /// <summary>
    /// y[M,N] = x[M,K] w[N,K]^T, or y += x w^T when <paramref name="accumulate"/>. Host CPUs
    /// (PoCL, ILGPU's CPU accelerator) take the register-blocked kernel; GPUs the tiled one for
    /// large M and the grouped GEMV-shaped one for small M (decoding).
    /// </summary>
    public void Gemm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) =>
        Gemm32.Run(Choose(m, k), x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>As <see cref="Gemm(ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int, int, bool)"/> with weights in float32 or float16.</summary>
    public void Gemm(ArrayView<float> x, StorageTensor w, ArrayView<float> y, int m, int n, int k, bool accumulate = false)
    {
        var shape = new GemmShape(m, n, k, accumulate ? 1 : 0);
        if (w.F16 is { } half)
            Gemm16.Run(Choose(m, k), x, half.View, y, shape);
        else
            Gemm32.Run(Choose(m, k), x, w.F32!.View, y, shape);
    }

    /// <summary>The row-blocked (barrier-free) GEMM; also the reference for the others.</summary>
    internal void GemmRowBlocked(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) =>
        Gemm32.Run(GemmKernel.RowBlocked, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>The grouped GEMV-shaped GEMM (groups of 16 work items: GPUs and PoCL; K a multiple of 16).</summary>
    internal void GemmGrouped(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) =>
        Gemm32.Run(GemmKernel.Grouped, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>The tiled shared-memory GEMM (needs groups of 16 x 16 threads: GPUs and PoCL).</summary>
    internal void GemmTiled(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, int m, int n, int k,
        bool accumulate = false) =>
        Gemm32.Run(GemmKernel.Tiled, x, w, y, new GemmShape(m, n, k, accumulate ? 1 : 0));

    /// <summary>
    /// The kernel for a shape under this device's profile: the row-blocked profile (ILGPU's CPU
    /// accelerator and PoCL) takes the register-blocked one, whose inner loop PoCL vectorises once it may reassociate sums
    /// (<see cref="PoclCompatibility.AllowReassociation"/>; measured on PoCL at 2 x 2816 x 1024:
    /// 22 GFLOP/s against 4.8 for the grouped kernel and 0.24 for the tiled one; at
    /// 128 x 1024 x 1024: 112 against 17 and 8). On GPUs the tiled kernel for
    /// large M and the grouped GEMV-shaped one for decoding-sized M.
    /// </summary>
    private GemmKernel Choose(int m, int k) =>
        Profile.Gemm == GemmVariant.RowBlocked ? GemmKernel.RowBlocked
        : m >= TiledFromRows ? GemmKernel.Tiled
        : k % GemmKernels.GroupWidth != 0 ? GemmKernel.RowBlocked
        : GemmKernel.Grouped;

    private enum GemmKernel { RowBlocked, Grouped, Tiled }

    /// <summary>The three GEMM kernels for one weight storage type, compiled on first use.</summary>
    private sealed class GemmLaunchers<TW, SW>(Accelerator accelerator, int implicitGroupSize)
        where TW : unmanaged where SW : struct, IStorage<TW>
    {
        private Action<Index1D, ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>? rowBlocked;
        private Action<KernelConfig, ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>? grouped, tiled;

        public void Run(GemmKernel variant, ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, GemmShape s)
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
                    int b = GemmKernels.RowBlock;
                    rowBlocked(checked((s.M + b - 1) / b * ((s.N + b - 1) / b)), x, w, y, s);
                    break;
                case GemmKernel.Grouped:
                    if (s.K % GemmKernels.GroupWidth != 0)
                        throw new ArgumentException($"grouped GEMM: K = {s.K} is not a multiple of {GemmKernels.GroupWidth}");
                    grouped ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>(
                        GemmKernels.Grouped<TW, SW>);
                    grouped(new KernelConfig((s.N + GemmKernels.GroupRows - 1) / GemmKernels.GroupRows, GemmKernels.GroupWidth),
                        x, w, y, s);
                    break;
                default:
                    tiled ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<TW>, ArrayView<float>, GemmShape>(
                        GemmKernels.Tiled<TW, SW>);
                    int t = GemmKernels.Tile;
                    tiled(new KernelConfig(new Index2D((s.N + t - 1) / t, (s.M + t - 1) / t),
                        new Index2D(GemmKernels.TileThreads, GemmKernels.TileThreads)), x, w, y, s);
                    break;
            }
        }
    }
}
