using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The 8 accumulator tiles of one warp: a 32 x 32 block of outputs as 2 x 4 tiles of 16 x 8
/// (c{i}{j}: rows 16 i .., columns 8 j .. of the warp's block).
/// </summary>
internal struct WarpAccumulators
{
    public Accumulator C00, C01, C02, C03, C10, C11, C12, C13;

    /// <summary>One k-step of 16: A fragments a0, a1 (rows 0-15, 16-31), B fragments of columns 0-15 (b01) and 16-31 (b23).</summary>
    public void Add<TStep>(TStep step, Registers4 a0, Registers4 a1, Registers4 b01, Registers4 b23)
        where TStep : struct, IMmaStep
    {
        C00 = step.Mma(a0, b01.R0, b01.R1, C00);
        C01 = step.Mma(a0, b01.R2, b01.R3, C01);
        C02 = step.Mma(a0, b23.R0, b23.R1, C02);
        C03 = step.Mma(a0, b23.R2, b23.R3, C03);
        C10 = step.Mma(a1, b01.R0, b01.R1, C10);
        C11 = step.Mma(a1, b01.R2, b01.R3, C11);
        C12 = step.Mma(a1, b23.R0, b23.R1, C12);
        C13 = step.Mma(a1, b23.R2, b23.R3, C13);
    }

    /// <summary>Stores the block whose first output is (m, n) (or adds it, by <see cref="GemmShape.Accumulate"/>).</summary>
    public readonly void Store(ArrayView<float> y, GemmShape s, int m, int n, int lane)
    {
        StoreTile(y, s, m, n, lane, C00);
        StoreTile(y, s, m, n + 8, lane, C01);
        StoreTile(y, s, m, n + 16, lane, C02);
        StoreTile(y, s, m, n + 24, lane, C03);
        StoreTile(y, s, m + 16, n, lane, C10);
        StoreTile(y, s, m + 16, n + 8, lane, C11);
        StoreTile(y, s, m + 16, n + 16, lane, C12);
        StoreTile(y, s, m + 16, n + 24, lane, C13);
    }

    /// <summary>A lane's four elements of the 16 x 8 tile at (m, n), those inside the shape (<see cref="MmaLayout"/>'s C map).</summary>
    private static void StoreTile(ArrayView<float> y, GemmShape s, int m, int n, int lane, Accumulator c)
    {
        int row = m + (lane >> 2), col = n + 2 * (lane & 3);
        StorePair(y, s, row, col, c.C0, c.C1);
        StorePair(y, s, row + 8, col, c.C2, c.C3);
    }

    private static void StorePair(ArrayView<float> y, GemmShape s, int m, int n, float v0, float v1)
    {
        if (m >= s.M)
            return;
        if (n < s.N) Store(y, s, m * s.N + n, v0);
        if (n + 1 < s.N) Store(y, s, m * s.N + n + 1, v1);
    }

    private static void Store(ArrayView<float> y, GemmShape s, int at, float value) =>
        y[at] = s.Accumulate != 0 ? y[at] + value : value;
}

/// <summary>The GEMM on NVIDIA tensor cores: fp16 operands, fp32 sums.</summary>
internal static class TensorCoreGemmKernels
{
    /// <summary>Threads of a group: 4 warps of 32.</summary>
    public const int GroupSize = 128;
    /// <summary>Warps of a group.</summary>
    public const int Warps = GroupSize / 32;
    /// <summary>Rows of X and of W (outputs m and n) in a group's tile.</summary>
    public const int TileRows = 64;
    /// <summary>The K-slice staged in shared memory per step.</summary>
    public const int TileK = 32;
    /// <summary>32-bit words (f16x2 pairs of k) from one staged row to the next: 16 for 32 k, 4 of padding (80 bytes).</summary>
    private const int StrideWords = 20;

    /// <summary>
    /// y[M,N] (+)= x[M,K] w[N,K]^T on tensor cores: x (float32) rounded to fp16 as it is staged,
    /// w in fp16, products summed in float32 by mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
    /// (row: A = x tile [m][k]; col: B = w^T, whose columns are rows of w [n][k], as stored).
    /// <typeparamref name="TStep"/> is the hardware (<see cref="PtxMma"/>) or its emulation
    /// (<see cref="EmulatedMma"/>); the kernel's index math is the same for both.
    ///
    /// Grid (N/64, M/64, splits of K), groups of 128 threads = 4 warps. Group z sums k in
    /// [z splitK, (z + 1) splitK); with one split it stores into y (honouring Accumulate), with
    /// more each writes its own [M, N] slab of <paramref name="partial"/>, which the tiled GEMM's
    /// SumSplits adds up (<see cref="GemmTileKernels.SumSplits"/>). Warp w computes the 32 x 32 block
    /// (w / 2, w % 2) of the group's 64 x 64 tile as 2 x 4 tiles of 16 x 8, 8 accumulators of 4
    /// floats per lane (<see cref="WarpAccumulators"/>; C map: lane l holds rows l/4 and l/4 + 8,
    /// columns 2 (l % 4) and + 1 of each tile).
    ///
    /// Per K-slice of 32 the group stages x[64 rows, 32] as fp16 and w[64 rows, 32] into shared
    /// memory as f16x2 words, xWords[m][k / 2] and wWords[n][k / 2], rows 20 words (80 bytes) apart. Staging: thread t
    /// takes the pair of k (2p, 2p+1), p = t % 16, of rows r = w + 4 ((t / 16) % 2) + 8 i, i &lt; 8
    /// (w = t / 32): half a warp reads 128 consecutive bytes of a row of x (64 of w), coalesced;
    /// its two halves store rows r and r + 4, banks 20 r + p and 20 r + 16 + p (mod 32): 32
    /// distinct banks. Rows past M and N repeat the last row (loads stay in bounds; those outputs
    /// are never stored), k past the split's end is zero.
    ///
    /// Per k-step of 16 a warp loads its A fragments (rows 0-15 and 16-31 of its block) and its B
    /// fragments (columns 0-31 as 4 tiles of 8) as f16x2 words straight from xWords and wWords, in the
    /// fragments' own layout (<see cref="MmaLayout"/>: lane (g, t) = (l / 4, l % 4) reads word
    /// t and t + 4 of the k-step in rows g and g + 8), then issues 8 mma.sync. A warp's 32 words
    /// of one load are 8 rows x 4 consecutive words at 20-word strides: banks 20 g + t mod 32 =
    /// {0, 20, 8, 28, 16, 4, 24, 12} + t, all distinct, so every fragment load is conflict-free.
    /// 16 such loads per 8 mma move 16 wavefronts, as many as four ldmatrix.x4 would (which only
    /// save issue slots); ldmatrix needs a shared-memory address as an integer, which ILGPU 1.5.3
    /// does not give a kernel (LoadEffectiveAddressAsPtr is not supported there).
    ///
    /// One shared buffer, the next slice in registers: its global loads are issued before this
    /// slice's mma and stored (x converted to fp16) after the barrier that ends them, so the loads'
    /// latency overlaps the tensor cores' work even with few groups per SM. Two barriers per slice.
    ///
    /// Occupancy, from ptxas 11.8's registers (PtxAssemblyTests prints them; the test holds them to
    /// 128 at most): at R registers a group takes 128 R of the SM's 65536, so 512 / R groups fit
    /// (94 on sm_80: 5 groups, 20 warps; 84 on sm_90: 6, 24 warps); shared memory, 10 KB a group,
    /// would allow 22 on an H100.
    /// Bound at ARPG-L's shapes (M ~ 512 rows of pass 1 and pass 2 at batch 64, N 1024..16384, K
    /// 1024 or 2816): operand traffic from L2 and the staging's issue slots (each x and w element is
    /// staged once per 64-wide tile: 64 x 64 x 32 x 2 FLOPs per 12 KB), far under the tensor cores'
    /// rate; and where M x N gives few tiles (512 x 1024: 128 tiles for 132 SMs) the grid, which the
    /// K-split widens (2 ranges there, the tiled kernel's rule).
    /// </summary>
    private static void Gemm<TStep>(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, ArrayView<float> partial,
        GemmShape s, int splitK) where TStep : struct, IMmaStep
    {
        TStep step = default;
        step.Setup();
        ArrayView<uint> xWords = SharedMemory.Allocate<uint>(TileRows * StrideWords); // [m][k / 2] as f16x2
        ArrayView<uint> wWords = SharedMemory.Allocate<uint>(TileRows * StrideWords); // [n][k / 2] as f16x2
        int t = Group.IdxX, lane = t & 31, warp = t >> 5;
        int m0 = Grid.IdxY * TileRows, n0 = Grid.IdxX * TileRows;
        int kBegin = Grid.IdxZ * splitK, kEnd = Math.Min(s.K, kBegin + splitK);

        // staging: k pair p of rows firstRow + 8 i
        int p = t & 15, firstRow = warp + 4 * ((t >> 4) & 1);
        // fragments: this lane's first word of its rows of A (block row 0) and of B (block column 0)
        int g = lane >> 2, tig = lane & 3;
        int aStart = ((warp >> 1) * 32 + g) * StrideWords + tig, bStart = ((warp & 1) * 32 + g) * StrideWords + tig;

        WarpAccumulators acc = default;
        var rows = new StagingRows(x, w, s, kEnd, m0, n0, firstRow, p);
        StagedSlice next = rows.Load(kBegin);
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            rows.Store(step, xWords, wWords, next);
            Group.Barrier();
            next = rows.Load(k0 + TileK); // in flight while the tensor cores work on this slice
            Step(step, ref acc, xWords, wWords, aStart, bStart);
            Step(step, ref acc, xWords, wWords, aStart + 8, bStart + 8);
            Group.Barrier();
        }
        bool split = Grid.DimZ > 1;
        int outputs = s.M * s.N;
        ArrayView<float> target = split ? partial.SubView((long)Grid.IdxZ * outputs, outputs) : y;
        acc.Store(target, split ? s with { Accumulate = 0 } : s, m0 + (warp >> 1) * 32, n0 + (warp & 1) * 32, lane);
    }

    /// <summary>
    /// What one thread stages of a K-slice: the k pair (2p, 2p + 1) of tile rows firstRow + 8 i of
    /// x and of w. Rows past M and N repeat the last row, k from kEnd on (the split's end) reads as zero.
    /// </summary>
    private readonly struct StagingRows(ArrayView<float> x, ArrayView<ushort> w, GemmShape s, int kEnd, int m0, int n0,
        int firstRow, int p)
    {
        /// <summary>The slice from k0 on, into registers (loads only: nothing waits for them here).</summary>
        public StagedSlice Load(int k0) => new()
        {
            R0 = Load(firstRow, k0), R1 = Load(firstRow + 8, k0), R2 = Load(firstRow + 16, k0), R3 = Load(firstRow + 24, k0),
            R4 = Load(firstRow + 32, k0), R5 = Load(firstRow + 40, k0), R6 = Load(firstRow + 48, k0), R7 = Load(firstRow + 56, k0),
        };

        /// <summary>The slice into xs (rounded to fp16) and ws.</summary>
        public void Store<TStep>(TStep step, ArrayView<uint> xWords, ArrayView<uint> wWords, StagedSlice v) where TStep : struct, IMmaStep
        {
            Store(step, xWords, wWords, firstRow, v.R0);
            Store(step, xWords, wWords, firstRow + 8, v.R1);
            Store(step, xWords, wWords, firstRow + 16, v.R2);
            Store(step, xWords, wWords, firstRow + 24, v.R3);
            Store(step, xWords, wWords, firstRow + 32, v.R4);
            Store(step, xWords, wWords, firstRow + 40, v.R5);
            Store(step, xWords, wWords, firstRow + 48, v.R6);
            Store(step, xWords, wWords, firstRow + 56, v.R7);
        }

        private StagedPair Load(int row, int k0)
        {
            int k = k0 + 2 * p;
            int xAt = Math.Min(m0 + row, s.M - 1) * s.K + k, wAt = Math.Min(n0 + row, s.N - 1) * s.K + k;
            return new StagedPair
            {
                X0 = k < kEnd ? x[xAt] : 0f, X1 = k + 1 < kEnd ? x[xAt + 1] : 0f,
                W0 = k < kEnd ? w[wAt] : (ushort)0, W1 = k + 1 < kEnd ? w[wAt + 1] : (ushort)0,
            };
        }

        private void Store<TStep>(TStep step, ArrayView<uint> xWords, ArrayView<uint> wWords, int row, StagedPair v)
            where TStep : struct, IMmaStep
        {
            int at = row * StrideWords + p;
            xWords[at] = step.PackHalves(v.X0, v.X1);
            wWords[at] = v.W0 | (uint)v.W1 << 16;
        }
    }

    /// <summary>One staged k pair of a row: x as loaded (float32), w as fp16 bits.</summary>
    private struct StagedPair
    {
        public float X0, X1;
        public ushort W0, W1;
    }

    /// <summary>A thread's share of one K-slice: its k pair of 8 tile rows (<see cref="StagingRows"/>).</summary>
    private struct StagedSlice
    {
        public StagedPair R0, R1, R2, R3, R4, R5, R6, R7;
    }

    /// <summary>
    /// One k-step of 16: the A fragments of block rows 0-15 and 16-31, the B fragments of block
    /// columns 0-15 and 16-31 (two tiles of 8 each), eight mma. a, b: this lane's word of the k-step
    /// in its first row of A and of B.
    /// </summary>
    private static void Step<TStep>(TStep step, ref WarpAccumulators acc, ArrayView<uint> xWords, ArrayView<uint> wWords,
        int a, int b) where TStep : struct, IMmaStep
    {
        Registers4 a0 = FragmentA(xWords, a), a1 = FragmentA(xWords, a + 16 * StrideWords);
        Registers4 b01 = FragmentsB(wWords, b), b23 = FragmentsB(wWords, b + 16 * StrideWords);
        acc.Add(step, a0, a1, b01, b23);
    }

    /// <summary>A lane's A fragment of a 16 x 16 tile: (row g, k 2t), (g + 8, 2t), (g, 2t + 8), (g + 8, 2t + 8).</summary>
    private static Registers4 FragmentA(ArrayView<uint> words, int at) =>
        new(words[at], words[at + 8 * StrideWords], words[at + 4], words[at + 8 * StrideWords + 4]);

    /// <summary>A lane's B fragments of two 16 x 8 tiles, columns n and n + 8: (column g, k 2t) and (g, 2t + 8) of each.</summary>
    private static Registers4 FragmentsB(ArrayView<uint> words, int at) =>
        new(words[at], words[at + 4], words[at + 8 * StrideWords], words[at + 8 * StrideWords + 4]);

    /// <summary><see cref="Gemm"/> on tensor cores (CUDA, compute capability 8.0 or newer).</summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Mma(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, ArrayView<float> partial,
        GemmShape s, int splitK) => Gemm<PtxMma>(x, w, y, partial, s, splitK);

    /// <summary><see cref="Gemm"/> with the tensor-core steps emulated: the NVIDIA-like simulator's check of its index math.</summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void MmaEmulated(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, ArrayView<float> partial,
        GemmShape s, int splitK) => Gemm<EmulatedMma>(x, w, y, partial, s, splitK);

    /// <summary>x[i] rounded to the nearest fp16 value (ties to even), as float32: the tensor cores' activations on a CPU.</summary>
    [Kernel]
    public static void RoundToHalf(Index1D i, ArrayView<float> x, ArrayView<float> rounded) =>
        rounded[i] = Float16.ToFloat(Float16.FromFloat(x[i]));
}

public sealed partial class Ops
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, GemmShape, int>? tensorCoreGemm;
    private Action<Index1D, ArrayView<float>, ArrayView<float>>? roundToHalf;
    private ScratchBuffer? roundedActivations;

    /// <summary>
    /// True when GEMMs of fp16 weights take the tensor-core arithmetic (fp16 activations): at every
    /// M, decoding-sized ones too (where the GEMV kernel would be faster), so that a device with
    /// tensor cores on computes exactly what the CPU's form computes, up to the order of float32 sums.
    /// </summary>
    private bool UsesFp16Activations =>
        Profile.Gemm is GemmVariant.TensorCores or GemmVariant.RowBlockedFp16Activations;

    /// <summary>
    /// y (+)= x w^T with x rounded to fp16, w in fp16, float32 sums: on CUDA the tensor-core kernel,
    /// on the NVIDIA-like simulator its emulation, on CPUs the row-blocked kernel on rounded x.
    /// </summary>
    private void GemmFp16Activations(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, GemmShape s)
    {
        if (Profile.Gemm == GemmVariant.RowBlockedFp16Activations)
        {
            Gemm16.Run(GemmKernel.RowBlocked, default, RoundedToHalf(x, (long)s.M * s.K), w, y, s);
            return;
        }
        GemmTensorCores(x, w, y, s, Tiling(s.M, s.N, s.K));
    }

    /// <summary>
    /// The tensor-core kernel (its emulation on the GPU simulators) in 64 x 64 tiles, K split into
    /// <paramref name="tiling"/>'s ranges when it has more than one (the tiled kernel's rule: when
    /// the tiles alone leave SMs idle; the tests give a tiling of their own).
    /// </summary>
    internal void GemmTensorCores(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, GemmShape s, GemmTiling tiling)
    {
        Require(x, (long)s.M * s.K, "Gemm x");
        Require(w, (long)s.N * s.K, "Gemm w");
        Require(y, (long)s.M * s.N, "Gemm y");
        if ((long)Math.Max(s.M, s.N) * s.K > int.MaxValue || (long)s.M * s.N > int.MaxValue)
            throw new ArgumentException($"tensor-core GEMM {s}: more than 2^31 elements in an operand (32-bit indices)");
        if (s.M == 0 || s.N == 0)
            return;
        tensorCoreGemm ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<float>, ArrayView<float>, GemmShape, int>(
            device.Kind == DeviceKind.Cuda ? TensorCoreGemmKernels.Mma
            : device.Simulator != GpuSimulator.None ? TensorCoreGemmKernels.MmaEmulated
            : throw new InvalidOperationException("the tensor-core GEMM runs on CUDA or on a GPU simulator"));
        int rows = TensorCoreGemmKernels.TileRows;
        int count = tiling.SplitCount(s.K);
        var grid = new Index3D((s.N + rows - 1) / rows, (s.M + rows - 1) / rows, count);
        var config = new KernelConfig(grid, new Index3D(TensorCoreGemmKernels.GroupSize, 1, 1));
        if (count == 1)
        {
            tensorCoreGemm(config, x, w, y, y, s, Math.Max(s.K, 1));
            return;
        }
        tensorCoreGemm(config, x, w, y, Splits.Partial((long)count * s.M * s.N), s, tiling.SplitK(s.K));
        Splits.Sum(y, s, count);
    }

    /// <summary>x[0 .. length) rounded to fp16 precision, in a device buffer kept for the next call.</summary>
    private ArrayView<float> RoundedToHalf(ArrayView<float> x, long length)
    {
        ArrayView<float> rounded = (roundedActivations ??= NewScratch()).Take(length);
        roundToHalf ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(
            TensorCoreGemmKernels.RoundToHalf, ImplicitGroupSize);
        roundToHalf(checked((int)length), x, rounded);
        return rounded;
    }
}
