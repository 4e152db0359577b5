using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Shape of one attention call. q: [Batch, Queries, Heads * HeadDim]; k, v: [Batch, KvCapacity,
/// Heads * HeadDim] of which the first KvLength positions are valid; output: like q.
/// With <see cref="AttentionMask.Causal"/>, query t sees keys 0 .. t + CausalOffset (the training
/// forward); with <see cref="AttentionMask.None"/> every query sees all KvLength keys (ARPG's
/// inference).
/// </summary>
public readonly record struct AttentionShape(
    int Batch, int Queries, int Heads, int HeadDim, int KvCapacity, int KvLength, AttentionMask Mask, int CausalOffset)
{
    /// <summary>Heads * HeadDim: the width of one q/k/v row.</summary>
    public int Width => Heads * HeadDim;
}

/// <summary>Which keys a query may see.</summary>
public enum AttentionMask
{
    /// <summary>Every valid key (ARPG's inference: tokens and queries see the whole cache).</summary>
    None,
    /// <summary>Query t sees keys 0 .. t + CausalOffset (teacher-forced scoring, prefill).</summary>
    Causal,
}

/// <summary>Scaled dot-product attention over a key/value cache.</summary>
internal static class AttentionKernels
{
    /// <summary>
    /// One thread per (batch b, query t, head h):
    ///   out[b,t,h,:] = sum_j softmax_j(q[b,t,h,:] . k[b,j,h,:] / sqrt(D)) v[b,j,h,:],
    /// j over the visible keys. Numerically stable in one pass (online softmax, as flash
    /// attention does): keep the running maximum m, the running sum l of e^(s_j - m) and the
    /// unnormalised output; when a larger score arrives, rescale both by e^(m_old - m_new).
    /// The output row doubles as the accumulator, so the kernel needs no scratch memory.
    /// Threads of one (b, h) are neighbours (t varies fastest): they read the same keys and
    /// values, which a CPU core then finds in its cache.
    /// </summary>
    [Kernel]
    public static void OnlineSoftmax<TK, SK>(
        Index1D index, ArrayView<float> q, ArrayView<TK> k, ArrayView<TK> v, ArrayView<float> output,
        AttentionShape s, float scale)
        where TK : unmanaged where SK : struct, IStorage<TK>
    {
        SK cache = default;
        int i = index;
        int t = i % s.Queries;
        int h = i / s.Queries % s.Heads;
        int b = i / s.Queries / s.Heads;
        int d = s.HeadDim, width = s.Width;
        long qOff = ((long)(b * s.Queries + t)) * width + h * d;
        int visible = s.Mask == AttentionMask.Causal ? Math.Min(s.KvLength, t + s.CausalOffset + 1) : s.KvLength;

        for (int c = 0; c < d; c++)
            output[qOff + c] = 0f;
        float runningMax = float.NegativeInfinity, runningSum = 0f;
        for (int j = 0; j < visible; j++)
        {
            long kOff = ((long)b * s.KvCapacity + j) * width + h * d;
            float score = Dot(q, qOff, k, kOff, d, cache) * scale;
            if (score > runningMax)
            {
                float correction = MathF.Exp(runningMax - score);
                runningSum *= correction;
                for (int c = 0; c < d; c++)
                    output[qOff + c] *= correction;
                runningMax = score;
            }
            float p = MathF.Exp(score - runningMax);
            runningSum += p;
            for (int c = 0; c < d; c++)
                output[qOff + c] = Mad(p, cache.Load(v, kOff + c), output[qOff + c]);
        }
        float inv = runningSum > 0f ? 1f / runningSum : 0f;
        for (int c = 0; c < d; c++)
            output[qOff + c] *= inv;
    }

    /// <summary>
    /// a[aOff .. aOff+n) . b[bOff .. bOff+n). A plain loop, which PoCL vectorises as a reduction:
    /// with four hand-unrolled partial sums, a batch-1 ARPG-L run spent 1.0 s in attention against
    /// 0.68 s now.
    /// </summary>
    private static float Dot<TB, SB>(ArrayView<float> a, long aOff, ArrayView<TB> b, long bOff, int n, SB storage)
        where TB : unmanaged where SB : struct, IStorage<TB>
    {
        float sum = 0f;
        for (int c = 0; c < n; c++)
            sum = Mad(a[aOff + c], storage.Load(b, bOff + c), sum);
        return sum;
    }

    /// <summary>Keys staged in shared memory per step of <see cref="FlashDecoding"/>.</summary>
    public const int KeyTile = 16;
    /// <summary>The largest head size <see cref="FlashDecoding"/> takes (its shared tiles are sized for it).</summary>
    public const int MaxHeadDim = 128;
    /// <summary>The most queries one <see cref="FlashDecoding"/> group takes.</summary>
    public const int MaxTileQueries = 64;
    /// <summary>The most threads of one <see cref="FlashDecoding"/> group.</summary>
    public const int MaxGroupThreads = 256;
    /// <summary>Row stride of the shared score tile: one float of padding against bank conflicts.</summary>
    private const int ScoreStride = KeyTile + 1;

    /// <summary>
    /// Attention for GPUs, one group per (batch b, head h, tile of T queries t0 .. t0+T-1):
    ///   out[b,t,h,:] = sum_j softmax_j(q[b,t,h,:] . k[b,j,h,:] / sqrt(D)) v[b,j,h,:]
    /// over the keys j query t sees, zeros where it sees none. q, out: [Batch, Queries, Heads*D];
    /// k, v: [Batch, KvCapacity, Heads*D]. D is a multiple of 4, at most 128 (the wrapper checks).
    ///
    /// Launch: Batch * Heads * ceil(Queries / T) groups, the query tiles of one (b, h) neighbours
    /// (they find its keys in L2). A group has L = D/4 threads ("lanes") per query: T * L threads
    /// rounded up to 32, at most 256 (T = min(Queries, 64, 256 / L), chosen by the wrapper).
    /// Thread (slot, lane) = (thread / L, thread % L) owns query t0 + slot and its output dims
    /// lane + i L (i = 0..3): four accumulators, the running maximum m and the running sum l of
    /// e^(s_j - m), all in registers. Per tile of 16 keys (flash attention's online softmax):
    ///   1. the group stages rows k[j, h, :] and v[j, h, :] in shared memory, slot r copying row r,
    ///      lane l its elements l + i L: consecutive threads load consecutive elements (coalesced);
    ///   2. thread e computes the score of (query e / 16, key e % 16), q . k / sqrt(D), from shared
    ///      memory into a [T, 16] score tile;
    ///   3. each thread reads its query's scores, m' = max(m, tile maximum), rescales l and its
    ///      accumulators by e^(m - m') and adds e^(s_j - m') and e^(s_j - m') v[j, its dims].
    /// The L threads of a query repeat step 3's exponentials: cheaper than the extra barrier and
    /// pass over shared memory that one exponential per score would need.
    /// Shared memory, in floats: q [T, D+1] and k [16, D+1], padded so that the 16 keys a warp's
    /// score threads read at one column lie in 16 distinct banks (D+1 is odd); v [16, D+1], read
    /// in step 3 at consecutive dims (distinct banks, the same address across slots: broadcast);
    /// scores [T, 17], whose rows the slots of a warp read in distinct banks. The staging stores,
    /// several rows per warp, are at most 2-way conflicted. 25 KB per group, sized for D = 128.
    ///
    /// No split over the cache length (flash decoding's second, combining kernel): ARPG's caches
    /// hold at most 257 keys, 17 tiles, and ARPG-L at batch 64 (128 rows) launches 2048 groups per
    /// call, several per SM. Only at batch 1 (32 groups) would a split fill the GPU better, and
    /// there a call takes 17 tile latencies, a few microseconds, about what a combining launch
    /// and its scratch traffic cost.
    /// At ARPG-L decoding (about 4 queries per row: groups of 4 x 16 threads) the kernel is bound
    /// by bandwidth: each cache element is read once for 2 FLOPs per query, about 2 FLOPs per byte
    /// at fp32 (4 at fp16). With 256 queries (teacher forcing, prefill) 16 queries share each staged tile and the
    /// issue of step 2's shared-memory loads (two per FMA) bounds it.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void FlashDecoding<TK, SK>(
        ArrayView<float> q, ArrayView<TK> k, ArrayView<TK> v, ArrayView<float> output,
        AttentionShape s, int tileQueries, float scale)
        where TK : unmanaged where SK : struct, IStorage<TK>
    {
        const int KeyFloats = KeyTile * (MaxHeadDim + 1);
        ArrayView<float> queries = SharedMemory.Allocate<float>(MaxGroupThreads * 4 + MaxTileQueries); // [T][D+1]: T D <= 4 * 256, T <= 64
        ArrayView<float> keys = SharedMemory.Allocate<float>(KeyFloats); // [16][D+1]
        ArrayView<float> values = SharedMemory.Allocate<float>(KeyFloats); // [16][D+1]
        ArrayView<float> scores = SharedMemory.Allocate<float>(MaxTileQueries * ScoreStride); // [T][17]

        int d = s.HeadDim, width = s.Width, stride = d + 1, lanes = d / 4;
        int thread = Group.IdxX, slot = thread / lanes, lane = thread % lanes;
        // threads of a partial slot past the last whole one (the group is rounded up to 32)
        // stage nothing and own no query
        var me = new SlotLane(slot, lane, lanes, Group.DimX / lanes);
        int tiles = (s.Queries + tileQueries - 1) / tileQueries, group = Grid.IdxX;
        int t0 = group % tiles * tileQueries, h = group / tiles % s.Heads, b = group / tiles / s.Heads;
        int tileCount = Math.Min(tileQueries, s.Queries - t0);
        long qBase = ((long)b * s.Queries + t0) * width + h * d;
        long kvBase = (long)b * s.KvCapacity * width + h * d;
        // the keys the tile's last query sees bound the loop of the whole group, so that every
        // thread meets every barrier
        int keyEnd = Visible(s, t0 + tileCount - 1);
        bool owns = slot < tileCount;
        int ownVisible = owns ? Visible(s, t0 + slot) : 0;

        StageRows<float, Fp32Storage>(q, qBase, width, tileCount, queries, stride, me);
        // a finite start, so that the first rescaling e^(m - m') is 0, not e^(-inf + inf) = NaN
        float runningMax = float.MinValue, runningSum = 0f;
        float o0 = 0f, o1 = 0f, o2 = 0f, o3 = 0f;
        for (int j0 = 0; j0 < keyEnd; j0 += KeyTile)
        {
            long tileBase = kvBase + (long)j0 * width;
            int tileKeys = Math.Min(KeyTile, keyEnd - j0);
            StageRows<TK, SK>(k, tileBase, width, tileKeys, keys, stride, me);
            StageRows<TK, SK>(v, tileBase, width, tileKeys, values, stride, me);
            Group.Barrier();

            for (int e = thread; e < tileCount * KeyTile; e += Group.DimX)
            {
                int query = e / KeyTile, key = e % KeyTile;
                if (j0 + key < Visible(s, t0 + query))
                    scores[query * ScoreStride + key] = SharedDot(queries, query * stride, keys, key * stride, d) * scale;
            }
            Group.Barrier();

            int count = Math.Min(KeyTile, ownVisible - j0);
            if (count > 0)
            {
                int row = slot * ScoreStride;
                float tileMax = scores[row];
                for (int j = 1; j < count; j++)
                    tileMax = Math.Max(tileMax, scores[row + j]);
                float newMax = Math.Max(runningMax, tileMax);
                float correction = MathF.Exp(runningMax - newMax);
                runningSum *= correction;
                o0 *= correction; o1 *= correction; o2 *= correction; o3 *= correction;
                for (int j = 0; j < count; j++)
                {
                    float p = MathF.Exp(scores[row + j] - newMax);
                    int at = j * stride + lane;
                    runningSum += p;
                    o0 = Mad(p, values[at], o0);
                    o1 = Mad(p, values[at + lanes], o1);
                    o2 = Mad(p, values[at + 2 * lanes], o2);
                    o3 = Mad(p, values[at + 3 * lanes], o3);
                }
                runningMax = newMax;
            }
            Group.Barrier(); // the next tile overwrites keys, values and scores
        }
        if (!owns)
            return;
        float inv = runningSum > 0f ? 1f / runningSum : 0f;
        long outAt = qBase + slot * width + lane;
        output[outAt] = o0 * inv;
        output[outAt + lanes] = o1 * inv;
        output[outAt + 2 * lanes] = o2 * inv;
        output[outAt + 3 * lanes] = o3 * inv;
    }

    /// <summary>Keys query t sees: all KvLength, or 0 .. t + CausalOffset when causal (none when that is below 0).</summary>
    private static int Visible(AttentionShape s, int t) =>
        s.Mask == AttentionMask.Causal ? Math.Max(0, Math.Min(s.KvLength, t + s.CausalOffset + 1)) : s.KvLength;

    /// <summary>
    /// A <see cref="FlashDecoding"/> thread's place: lane Lane of slot Slot, Lanes threads per
    /// slot (one query's or one key row's), Slots whole slots in the group.
    /// </summary>
    private readonly record struct SlotLane(int Slot, int Lane, int Lanes, int Slots);

    /// <summary>
    /// Copies rows 0 .. rows-1 of 4 Lanes elements, as float32, from src (row r at
    /// srcBase + r * width) to dst (row r at r * stride): slot r copies row r (then r + Slots, ...),
    /// lane l its elements l + i Lanes, so consecutive threads read consecutive addresses.
    /// Threads past the last whole slot copy nothing.
    /// </summary>
    private static void StageRows<T, S>(ArrayView<T> src, long srcBase, int width, int rows,
        ArrayView<float> dst, int stride, SlotLane me)
        where T : unmanaged where S : struct, IStorage<T>
    {
        S storage = default;
        int n = me.Lanes;
        for (int r = me.Slot; r < rows; r += me.Slots)
        {
            long from = srcBase + r * width + me.Lane;
            int to = r * stride + me.Lane;
            dst[to] = storage.Load(src, from);
            dst[to + n] = storage.Load(src, from + n);
            dst[to + 2 * n] = storage.Load(src, from + 2 * n);
            dst[to + 3 * n] = storage.Load(src, from + 3 * n);
        }
    }

    /// <summary>a[aOff .. aOff+n) . b[bOff .. bOff+n) in shared memory, n a multiple of 4: unrolled by 4.</summary>
    private static float SharedDot(ArrayView<float> a, int aOff, ArrayView<float> b, int bOff, int n)
    {
        float sum = 0f;
        for (int c = 0; c < n; c += 4)
        {
            sum = Mad(a[aOff + c], b[bOff + c], sum);
            sum = Mad(a[aOff + c + 1], b[bOff + c + 1], sum);
            sum = Mad(a[aOff + c + 2], b[bOff + c + 2], sum);
            sum = Mad(a[aOff + c + 3], b[bOff + c + 3], sum);
        }
        return sum;
    }
}

public sealed partial class Ops
{
    private AttentionLaunchers<float, Fp32Storage>? attention32;
    private AttentionLaunchers<ushort, Fp16Storage>? attention16;

    /// <summary>
    /// output = softmax(q k^T / sqrt(HeadDim)) v per batch and head, over the visible cache
    /// positions. q, output: [Batch, Queries, Heads*HeadDim]; k, v: [Batch, KvCapacity, Heads*HeadDim].
    /// </summary>
    public void Attention(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> output,
        AttentionShape shape) =>
        (attention32 ??= new(Accelerator, ImplicitGroupSize)).Run(Profile.Attention, q, k, v, output, shape);

    /// <summary>As the float32 form, over a KV cache stored in float32 or float16.</summary>
    public void Attention(ArrayView<float> q, StorageTensor k, StorageTensor v, ArrayView<float> output, AttentionShape shape)
    {
        if (k.Precision != v.Precision)
            throw new ArgumentException("Attention: keys and values stored in different precisions");
        if (k.F32 is not null)
            Attention(q, k.F32.View, v.F32!.View, output, shape);
        else
            (attention16 ??= new(Accelerator, ImplicitGroupSize)).Run(Profile.Attention, q, k.F16!.View, v.F16!.View, output, shape);
    }

    /// <summary>The attention kernels for one cache storage type, compiled on first use.</summary>
    private sealed class AttentionLaunchers<TK, SK>(Accelerator accelerator, int implicitGroupSize)
        where TK : unmanaged where SK : struct, IStorage<TK>
    {
        private Action<Index1D, ArrayView<float>, ArrayView<TK>, ArrayView<TK>, ArrayView<float>, AttentionShape, float>? threadPerQuery;
        private Action<KernelConfig, ArrayView<float>, ArrayView<TK>, ArrayView<TK>, ArrayView<float>, AttentionShape, int, float>? flash;

        /// <summary>
        /// Runs the profile's variant; head sizes FlashDecoding does not take (not a multiple of
        /// 4, or above 128: the VQ's single-head attention over its channels) run ThreadPerQuery.
        /// </summary>
        public void Run(AttentionVariant variant, ArrayView<float> q, ArrayView<TK> k, ArrayView<TK> v,
            ArrayView<float> output, AttentionShape s)
        {
            CheckAttention(q, k.Length, v.Length, output, s);
            float scale = 1f / MathF.Sqrt(s.HeadDim);
            if (variant == AttentionVariant.FlashDecoding && FlashTakes(s.HeadDim))
            {
                if (s.Batch == 0 || s.Queries == 0)
                    return;
                int lanes = s.HeadDim / 4;
                int tileQueries = Math.Min(Math.Min(s.Queries, AttentionKernels.MaxTileQueries), AttentionKernels.MaxGroupThreads / lanes);
                int threads = (tileQueries * lanes + 31) / 32 * 32;
                int groups = checked(s.Batch * s.Heads * ((s.Queries + tileQueries - 1) / tileQueries));
                flash ??= accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<TK>, ArrayView<TK>, ArrayView<float>,
                    AttentionShape, int, float>(AttentionKernels.FlashDecoding<TK, SK>);
                flash(new KernelConfig(groups, threads), q, k, v, output, s, tileQueries, scale);
                return;
            }
            threadPerQuery ??= accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<TK>,
                ArrayView<TK>, ArrayView<float>, AttentionShape, float>(AttentionKernels.OnlineSoftmax<TK, SK>, implicitGroupSize);
            threadPerQuery(s.Batch * s.Queries * s.Heads, q, k, v, output, s, scale);
        }

        private static bool FlashTakes(int headDim) =>
            headDim > 0 && headDim % 4 == 0 && headDim <= AttentionKernels.MaxHeadDim;
    }

    private static void CheckAttention(ArrayView<float> q, long kLength, long vLength, ArrayView<float> output, AttentionShape shape)
    {
        if (shape.KvLength < 0 || shape.KvLength > shape.KvCapacity)
            throw new ArgumentException($"Attention: {shape.KvLength} valid keys in a cache of {shape.KvCapacity}");
        long qLen = (long)shape.Batch * shape.Queries * shape.Width;
        long kvLen = (long)shape.Batch * shape.KvCapacity * shape.Width;
        Require(q, qLen, "Attention q");
        Require(output, qLen, "Attention output");
        if (kLength < kvLen || vLength < kvLen)
            throw new ArgumentException($"Attention: caches hold {kLength} and {vLength} elements, the shape needs {kvLen}");
    }
}
