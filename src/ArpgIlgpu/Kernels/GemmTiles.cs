using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Four consecutive floats (16 bytes). A shared-memory float view cast to it is 16-byte aligned,
/// and ILGPU reads an aligned 16-byte struct of four floats with one vector load (PTX
/// ld.shared.v4.f32) instead of four.
/// </summary>
internal struct FloatQuad(float x, float y, float z, float w)
{
    public float X = x, Y = y, Z = z, W = w;

    /// <summary>c + a * this, element by element.</summary>
    public readonly FloatQuad MulAdd(float a, FloatQuad c) =>
        new(Mad(a, X, c.X), Mad(a, Y, c.Y), Mad(a, Z, c.Z), Mad(a, W, c.W));
}

/// <summary>
/// How the tiled GEMM covers <c>Y[M,N] (+)= X[M,K] W[N,K]^T</c>: output tiles of
/// <paramref name="TileRows"/> x <paramref name="TileRows"/> (128 or 64) and
/// <paramref name="Splits"/> ranges of K, each summed by its own groups.
/// </summary>
internal readonly record struct GemmTiling(int TileRows, int Splits)
{
    /// <summary>K-ranges of a split are at least this long, so that each group still does a few slices.</summary>
    public const int MinSplitK = 256;

    /// <summary>
    /// The tiling for a shape on a device of <paramref name="multiprocessors"/> SMs (compute
    /// units): 128 x 128 tiles when they alone give every SM a group; else 64 x 64 tiles, and when
    /// even those are fewer than the SMs, K split into as many ranges as it takes to reach them
    /// (M = 128, N = 1024 on 132 SMs: 32 tiles of 64, K = 1024 in 4 ranges, 128 groups).
    /// </summary>
    public static GemmTiling For(int m, int n, int k, int multiprocessors)
    {
        if (Tiles(m, n, 128) >= multiprocessors)
            return new GemmTiling(128, 1);
        long tiles = Tiles(m, n, 64);
        int splits = (int)Math.Clamp((multiprocessors + tiles - 1) / tiles, 1, Math.Max(1, k / MinSplitK));
        return new GemmTiling(64, splits);
    }

    /// <summary>The K-range of one split: a multiple of the K-slice.</summary>
    public int SplitK(int k) =>
        Math.Max(GemmTileKernels.TileK, ((k + Splits - 1) / Splits + GemmTileKernels.TileK - 1) / GemmTileKernels.TileK * GemmTileKernels.TileK);

    /// <summary>Splits that hold any of K once the ranges are rounded to slices (at least one).</summary>
    public int SplitCount(int k) => Math.Max(1, (k + SplitK(k) - 1) / SplitK(k));

    private static long Tiles(int m, int n, int rows) => (long)((m + rows - 1) / rows) * ((n + rows - 1) / rows);
}

/// <summary>The per-thread accumulators of the tiled GEMM: which outputs a thread holds and how it adds to them.</summary>
internal interface IRegisterBlock
{
    /// <summary>Rows of X (and of W) in a group's output tile.</summary>
    int TileRows { get; }

    /// <summary>
    /// Adds one k's outer product: the thread's x's are the quads xs[a] (and xs[a + 16]), its
    /// w's ws[b] (and ws[b + 16]).
    /// </summary>
    void Add(ArrayView<FloatQuad> xs, ArrayView<FloatQuad> ws, int a, int b);

    /// <summary>Stores the block into y (or adds it, by <see cref="GemmShape.Accumulate"/>); m, n: its first output.</summary>
    void Store(ArrayView<float> y, GemmShape s, int m, int n);
}

/// <summary>
/// 8 x 8 outputs of a 128 x 128 tile: rows m .. m+3 and m+64 .. m+67, columns n .. n+3 and
/// n+64 .. n+67 (two quads of each operand, 64 floats apart, so that 16 threads reading a quad
/// each read 256 consecutive bytes).
/// </summary>
internal struct Block8x8 : IRegisterBlock
{
    // r{row}{a: columns n.., b: columns n+64..}; rows 0-3 are m + i, rows 4-7 are m + 64 + i - 4
    private FloatQuad r0a, r0b, r1a, r1b, r2a, r2b, r3a, r3b, r4a, r4b, r5a, r5b, r6a, r6b, r7a, r7b;

    public readonly int TileRows => 128;

    public void Add(ArrayView<FloatQuad> xs, ArrayView<FloatQuad> ws, int a, int b)
    {
        FloatQuad x0 = xs[a], x1 = xs[a + 16], w0 = ws[b], w1 = ws[b + 16];
        r0a = w0.MulAdd(x0.X, r0a); r0b = w1.MulAdd(x0.X, r0b);
        r1a = w0.MulAdd(x0.Y, r1a); r1b = w1.MulAdd(x0.Y, r1b);
        r2a = w0.MulAdd(x0.Z, r2a); r2b = w1.MulAdd(x0.Z, r2b);
        r3a = w0.MulAdd(x0.W, r3a); r3b = w1.MulAdd(x0.W, r3b);
        r4a = w0.MulAdd(x1.X, r4a); r4b = w1.MulAdd(x1.X, r4b);
        r5a = w0.MulAdd(x1.Y, r5a); r5b = w1.MulAdd(x1.Y, r5b);
        r6a = w0.MulAdd(x1.Z, r6a); r6b = w1.MulAdd(x1.Z, r6b);
        r7a = w0.MulAdd(x1.W, r7a); r7b = w1.MulAdd(x1.W, r7b);
    }

    public readonly void Store(ArrayView<float> y, GemmShape s, int m, int n)
    {
        GemmTileKernels.StoreQuads(y, s, m, n, r0a, r0b);
        GemmTileKernels.StoreQuads(y, s, m + 1, n, r1a, r1b);
        GemmTileKernels.StoreQuads(y, s, m + 2, n, r2a, r2b);
        GemmTileKernels.StoreQuads(y, s, m + 3, n, r3a, r3b);
        GemmTileKernels.StoreQuads(y, s, m + 64, n, r4a, r4b);
        GemmTileKernels.StoreQuads(y, s, m + 65, n, r5a, r5b);
        GemmTileKernels.StoreQuads(y, s, m + 66, n, r6a, r6b);
        GemmTileKernels.StoreQuads(y, s, m + 67, n, r7a, r7b);
    }
}

/// <summary>4 x 4 outputs of a 64 x 64 tile: rows m .. m+3, columns n .. n+3.</summary>
internal struct Block4x4 : IRegisterBlock
{
    private FloatQuad r0, r1, r2, r3; // r{i}: row m + i

    public readonly int TileRows => 64;

    public void Add(ArrayView<FloatQuad> xs, ArrayView<FloatQuad> ws, int a, int b)
    {
        FloatQuad x = xs[a], v = ws[b];
        r0 = v.MulAdd(x.X, r0); r1 = v.MulAdd(x.Y, r1); r2 = v.MulAdd(x.Z, r2); r3 = v.MulAdd(x.W, r3);
    }

    public readonly void Store(ArrayView<float> y, GemmShape s, int m, int n)
    {
        GemmKernels.StoreRow(y, s, m, n, r0.X, r0.Y, r0.Z, r0.W);
        GemmKernels.StoreRow(y, s, m + 1, n, r1.X, r1.Y, r1.Z, r1.W);
        GemmKernels.StoreRow(y, s, m + 2, n, r2.X, r2.Y, r2.Z, r2.W);
        GemmKernels.StoreRow(y, s, m + 3, n, r3.X, r3.Y, r3.Z, r3.W);
    }
}

/// <summary>The register-blocked shared-memory GEMM for GPUs.</summary>
internal static class GemmTileKernels
{
    /// <summary>Threads of a group.</summary>
    public const int GroupSize = 256;
    /// <summary>The K-slice staged in shared memory per step.</summary>
    public const int TileK = 8;
    /// <summary>Floats from one k to the next in a staged slice: 128 rows and 4 of padding.</summary>
    public const int Stride = 132;
    /// <summary>The same in quads (16-byte aligned: 132 * 4 bytes = 33 * 16).</summary>
    private const int StrideQuads = Stride / 4;
    /// <summary>Floats of one staged slice of one operand, [k][row].</summary>
    private const int SliceFloats = TileK * Stride;

    /// <summary>
    /// Register-blocked tiled GEMM, y[M,N] (+)= x[M,K] w[N,K]^T, fp32 accumulation, w in fp32 or
    /// fp16 (<typeparamref name="SW"/>), with <typeparamref name="TB"/> choosing the tile:
    /// <see cref="Block8x8"/> (128 x 128 tiles, 8 x 8 outputs per thread: <see cref="Tiled128"/>) or
    /// <see cref="Block4x4"/> (64 x 64, 4 x 4: <see cref="Tiled64"/>). Grid (N/tile, M/tile, splits of K), groups of 256.
    /// Group z sums k in [z*splitK, (z+1)*splitK); with one split it stores into y (honouring
    /// Accumulate), with more each writes its own [M, N] slab of <paramref name="partial"/> and
    /// <see cref="SumSplits"/> adds them up.
    ///
    /// Per K-slice of 8 the group stages x[tile rows, 8] and w[tile rows, 8] transposed into
    /// shared memory, xs[k][m] and ws[k][n] with rows 132 floats apart. Staging: threads 2r and
    /// 2r+1 read k 0-3 and 4-7 of tile row r (128-row tiles: both operands; 64-row: threads below
    /// 128 x, the others w), so a warp reads 16 rows x 32 consecutive bytes of each: whole 32-byte
    /// sectors. Its stores go to xs[kq + j][r]: bank (4 (kq + j) + r) mod 32 with kq in {0, 4}
    /// and 16 consecutive r, 32 distinct banks, so the transposing store is conflict-free (the
    /// padding of 4 makes the stride 4 banks; 128 would be 0 and 16-way conflicted).
    ///
    /// Inner loop, hand-unrolled over the slice: thread (tx, ty) reads its x's as quads
    /// xs[k][4ty ..] (and [64 + 4ty ..]) and its w's as ws[k][4tx ..] (and [64 + 4tx ..]), 16-byte
    /// vector loads. Threads are laid out so that a warp of 32 is 8 tx x 4 ty: its w quads are 8
    /// distinct consecutive quads (128 bytes, one wavefront), its x quads 4 distinct (broadcast,
    /// one wavefront). 8 x 8 block: 4 vector loads, 4 wavefronts per 64 FMAs = 1/16 wavefront
    /// per FMA; 4 x 4 block: 2 wavefronts per 16 FMAs = 1/8.
    ///
    /// Double-buffered: the next slice is loaded from global memory into registers before the
    /// multiply-adds of this one and stored into the other buffer after them, so one barrier per
    /// slice separates reads of a buffer from its next writes. Rows of x and w past M and N
    /// repeat the last row (loads stay in bounds; those outputs are never stored); k past the
    /// split's end is zero-filled in staging, the only branch on bounds in the loop.
    ///
    /// Bound: at ARPG-L's large-batch shapes (512 x 1024 x 1024, 512 x 2816 x 1024) FMA issue
    /// and latency (each x and w element is read from global memory once per tile, reused 128
    /// or 64 times); 16.9 KB of shared memory per group (two buffers of both operands).
    /// </summary>
    private static void Tiled<TW, SW, TB>(ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, ArrayView<float> partial,
        GemmShape s, int splitK)
        where TW : unmanaged where SW : struct, IStorage<TW> where TB : struct, IRegisterBlock
    {
        TB block = default;
        int rows = block.TileRows;
        ArrayView<float> xs = SharedMemory.Allocate<float>(2 * SliceFloats); // [buffer][k][m]
        ArrayView<float> ws = SharedMemory.Allocate<float>(2 * SliceFloats); // [buffer][k][n]
        ArrayView<FloatQuad> xq = xs.Cast<FloatQuad>(), wq = ws.Cast<FloatQuad>();
        int t = Group.IdxX;
        // bits of t: ty high (2) | tx high (1) | ty low (2) | tx low (3): a warp is 8 tx x 4 ty
        int tx = ((t >> 5) & 1) << 3 | (t & 7), ty = (t >> 6) << 2 | ((t >> 3) & 3);
        int m0 = Grid.IdxY * rows, n0 = Grid.IdxX * rows;
        int kBegin = Grid.IdxZ * splitK, kEnd = Math.Min(s.K, kBegin + splitK);

        // this thread stages k kq .. kq+3 of tile row `row` of x, of w, or of both
        int row = (t >> 1) & (rows - 1), kq = (t & 1) * 4, at = kq * Stride + row;
        bool stagesX = rows == 128 || t < 128, stagesW = rows == 128 || t >= 128;
        ArrayView<float> xRow = x.SubView((long)Math.Min(m0 + row, s.M - 1) * s.K, s.K);
        ArrayView<TW> wRow = w.SubView((long)Math.Min(n0 + row, s.N - 1) * s.K, s.K);
        if (stagesX) StoreQuad(xs, at, LoadQuad<float, Fp32Storage>(xRow, kBegin + kq, kEnd));
        if (stagesW) StoreQuad(ws, at, LoadQuad<TW, SW>(wRow, kBegin + kq, kEnd));
        Group.Barrier();

        FloatQuad xNext = default, wNext = default;
        int slices = (kEnd - kBegin + TileK - 1) / TileK;
        for (int slice = 0; slice < slices; slice++)
        {
            int current = (slice & 1) * SliceFloats, next = SliceFloats - current;
            bool more = slice + 1 < slices;
            int kNext = kBegin + (slice + 1) * TileK + kq;
            if (more && stagesX) xNext = LoadQuad<float, Fp32Storage>(xRow, kNext, kEnd);
            if (more && stagesW) wNext = LoadQuad<TW, SW>(wRow, kNext, kEnd);
            int a = current / 4 + ty, b = current / 4 + tx;
            block.Add(xq, wq, a, b);
            block.Add(xq, wq, a + StrideQuads, b + StrideQuads);
            block.Add(xq, wq, a + 2 * StrideQuads, b + 2 * StrideQuads);
            block.Add(xq, wq, a + 3 * StrideQuads, b + 3 * StrideQuads);
            block.Add(xq, wq, a + 4 * StrideQuads, b + 4 * StrideQuads);
            block.Add(xq, wq, a + 5 * StrideQuads, b + 5 * StrideQuads);
            block.Add(xq, wq, a + 6 * StrideQuads, b + 6 * StrideQuads);
            block.Add(xq, wq, a + 7 * StrideQuads, b + 7 * StrideQuads);
            if (more && stagesX) StoreQuad(xs, next + at, xNext);
            if (more && stagesW) StoreQuad(ws, next + at, wNext);
            Group.Barrier();
        }

        bool split = Grid.DimZ > 1;
        long outputs = (long)s.M * s.N;
        ArrayView<float> target = split ? partial.SubView(Grid.IdxZ * outputs, outputs) : y;
        block.Store(target, split ? s with { Accumulate = 0 } : s, m0 + ty * 4, n0 + tx * 4);
    }

    /// <summary><see cref="Tiled"/> with 128 x 128 tiles of 8 x 8 outputs per thread.</summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Tiled128<TW, SW>(ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, ArrayView<float> partial,
        GemmShape s, int splitK) where TW : unmanaged where SW : struct, IStorage<TW> =>
        Tiled<TW, SW, Block8x8>(x, w, y, partial, s, splitK);

    /// <summary><see cref="Tiled"/> with 64 x 64 tiles of 4 x 4 outputs per thread.</summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void Tiled64<TW, SW>(ArrayView<float> x, ArrayView<TW> w, ArrayView<float> y, ArrayView<float> partial,
        GemmShape s, int splitK) where TW : unmanaged where SW : struct, IStorage<TW> =>
        Tiled<TW, SW, Block4x4>(x, w, y, partial, s, splitK);

    /// <summary>
    /// y[i] (+)= sum over z of partial[z, i], i &lt; count: the K-splits of <see cref="Tiled"/>
    /// added up in a fixed order (no atomics, so results do not depend on scheduling).
    /// Element-wise, coalesced; bandwidth-bound.
    /// </summary>
    [Kernel]
    public static void SumSplits(Index1D i, ArrayView<float> partial, ArrayView<float> y, int count, int splits, int accumulate)
    {
        float sum = accumulate != 0 ? y[i] : 0f;
        for (int z = 0; z < splits; z++)
            sum += partial[(long)z * count + i];
        y[i] = sum;
    }

    /// <summary>row[k .. k+3] as floats, zero from kEnd on.</summary>
    private static FloatQuad LoadQuad<T, S>(ArrayView<T> row, int k, int kEnd) where T : unmanaged where S : struct, IStorage<T>
    {
        S storage = default;
        if (k + 4 <= kEnd)
            return new FloatQuad(storage.Load32(row, k), storage.Load32(row, k + 1), storage.Load32(row, k + 2), storage.Load32(row, k + 3));
        return new FloatQuad(k < kEnd ? storage.Load32(row, k) : 0f, k + 1 < kEnd ? storage.Load32(row, k + 1) : 0f,
            k + 2 < kEnd ? storage.Load32(row, k + 2) : 0f, k + 3 < kEnd ? storage.Load32(row, k + 3) : 0f);
    }

    /// <summary>The quad as four consecutive k of one staged row: slice[at], slice[at + Stride], ...</summary>
    private static void StoreQuad(ArrayView<float> slice, int at, FloatQuad v)
    {
        slice[at] = v.X;
        slice[at + Stride] = v.Y;
        slice[at + 2 * Stride] = v.Z;
        slice[at + 3 * Stride] = v.W;
    }

    /// <summary>Outputs (m, n .. n+3) and (m, n+64 .. n+67), those inside the shape.</summary>
    public static void StoreQuads(ArrayView<float> y, GemmShape s, int m, int n, FloatQuad a, FloatQuad b)
    {
        GemmKernels.StoreRow(y, s, m, n, a.X, a.Y, a.Z, a.W);
        GemmKernels.StoreRow(y, s, m, n + 64, b.X, b.Y, b.Z, b.W);
    }
}
