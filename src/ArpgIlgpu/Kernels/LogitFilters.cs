using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Top-k and top-p (nucleus) filtering with the official <c>top_k_top_p_filtering</c>'s rules,
/// applied per row [image, query] over the vocabulary: removed logits become -inf. (The official
/// function maps its top-p mask back with scatter(1, ...), which is only right for 2-D [rows, V]
/// logits: generate() passes [B, m, V], where dim 1 is the queries, and the vocabulary indices
/// would land there. Filtering each row over the last dimension is what the code means.)
/// <para>
/// Both filters find a threshold instead of sorting: a binary search over the 32 bits of an
/// order-preserving integer key of the float logits (<see cref="OrderedKey"/>), each probe one pass
/// over the row, so a row costs 33 (top-k) or 36 (top-p) passes, O(V) each, and no scratch
/// memory. One thread per row (ThreadPerRow), or one group per row that makes each probe a
/// parallel pass (GroupPerRow). Neither filter is on by default (the official sampling script
/// never sets them), so they are kept simple rather than fast.
/// The sort order the rules refer to is: higher logit first, equal logits by lower index first
/// (a stable descending sort).
/// </para>
/// </summary>
internal static class LogitFilterKernels
{
    /// <summary>
    /// Top-k: x[r, j] = -inf where x[r, j] &lt; t, t the k-th largest logit of row r counted with
    /// multiplicity (torch.topk(x, k)[0][..., -1]); every logit equal to t is kept, so more than k
    /// may survive. t is the largest key K with #{j : key(x_j) &gt;= K} &gt;= k, built bit by bit
    /// from the top. logits: [rows, vocab], in place; 1 &lt;= k &lt;= vocab.
    /// </summary>
    [Kernel]
    public static void TopK(Index1D row, ArrayView<float> logits, int vocab, int k)
    {
        long offset = (long)(int)row * vocab;
        uint threshold = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            uint candidate = threshold | (1u << bit);
            int count = 0;
            for (int j = 0; j < vocab; j++)
                if (OrderedKey(logits[offset + j]) >= candidate)
                    count++;
            if (count >= k)
                threshold = candidate;
        }
        for (int j = 0; j < vocab; j++)
            if (OrderedKey(logits[offset + j]) < threshold)
                logits[offset + j] = float.NegativeInfinity;
    }

    /// <summary>
    /// Top-p: with p = softmax(x[r, :]) and the tokens in sorted order, a token is removed when the
    /// probability of the tokens sorted before it exceeds topP (the official cumsum &gt; top_p,
    /// shifted right by one: the first token past the threshold and the top token are kept).
    /// The kept tokens are a prefix of the sorted order, ending inside the group of logits equal to
    /// t = the largest key K with P(key &gt;= K) &gt; topP: logits above t are kept, below t removed,
    /// and the members of t's group, in index order, are kept while the mass before them is
    /// &lt;= topP. Probabilities are e^(x - max) / sum in float32, summed in index order; the
    /// official cumsum runs in sorted order, so a token whose cumulative probability lies within
    /// float32 rounding (~1e-7) of topP may be decided differently. logits: [rows, vocab], in place;
    /// 0 &lt; topP &lt; 1.
    /// </summary>
    [Kernel]
    public static void TopP(Index1D row, ArrayView<float> logits, int vocab, float topP)
    {
        long offset = (long)(int)row * vocab;
        float max = SamplingKernels.RowMax(logits, offset, vocab);
        float sum = SamplingKernels.SumExp(logits, offset, vocab, max);

        uint threshold = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            uint candidate = threshold | (1u << bit);
            // P(key >= candidate) = P(key > candidate - 1); candidate has a bit set, so no underflow.
            if (MassAbove(logits, offset, vocab, max, sum, candidate - 1) > topP)
                threshold = candidate;
        }

        float before = MassAbove(logits, offset, vocab, max, sum, threshold);
        for (int j = 0; j < vocab; j++)
        {
            float x = logits[offset + j];
            uint key = OrderedKey(x);
            if (key < threshold)
                logits[offset + j] = float.NegativeInfinity;
            else if (key == threshold)
            {
                if (before > topP)
                    logits[offset + j] = float.NegativeInfinity;
                before += MathF.Exp(x - max) / sum;
            }
        }
    }

    /// <summary>
    /// <see cref="TopK"/> by a group per row: the same threshold search over the 32 key bits, each
    /// probe a parallel count. logits: [rows, vocab], in place; 1 &lt;= k &lt;= vocab; rows * vocab
    /// fits an int. Launch: grid = rows, groups of 256. Thread t counts the keys of j = t, t + 256,
    /// ... (coalesced loads) and the counts meet in 256 ints of shared memory (<see cref="RowGroup.Reduce"/>,
    /// no bank conflicts); the 32 probes read the row 32 times (from cache after the first), 64 loads per
    /// thread each at V = 16384, so a row costs about 2,000 loads per thread instead of 33 * V.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupTopK(ArrayView<float> logits, int vocab, int k)
    {
        ArrayView<int> counts = SharedMemory.Allocate<int>(RowGroup.Size);
        int offset = Grid.IdxX * vocab;
        uint threshold = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            uint candidate = threshold | (1u << bit);
            int count = 0;
            for (int j = Group.IdxX; j < vocab; j += RowGroup.Size)
                if (OrderedKey(logits[offset + j]) >= candidate)
                    count++;
            if (RowGroup.Reduce<int, IntSum>(counts, count) >= k)
                threshold = candidate;
        }
        for (int j = Group.IdxX; j < vocab; j += RowGroup.Size)
            if (OrderedKey(logits[offset + j]) < threshold)
                logits[offset + j] = float.NegativeInfinity;
    }

    /// <summary>
    /// <see cref="TopP"/> by a group per row, with the same rule: max, sum and every probe's mass
    /// P(key &gt; K) are parallel passes (thread t takes j = t, t + 256, ...: coalesced) reduced in
    /// 256 floats of shared memory (<see cref="RowGroup.Reduce"/>: no bank conflicts, deterministic). The members of the
    /// threshold's group of equal logits all have the same probability p, so thread 0 finds how
    /// many of them are kept (R: the mass before the i-th member, before + p + ... + p, is &lt;=
    /// topP for i &lt; R), a loop as long as the tie group (one member for distinct logits); the
    /// last pass keeps the R members of lowest index, each thread ranking the members of its own
    /// run of consecutive indices after a scan of the runs' member counts (288 ints).
    /// logits: [rows, vocab], in place; 0 &lt; topP &lt; 1; rows * vocab fits an int. Launch: grid =
    /// rows, groups of 256. The row is read 37 times (from cache after the first), 64 loads and
    /// exponentials per thread each at V = 16384: it is bound by the exponentials.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupTopP(ArrayView<float> logits, int vocab, float topP)
    {
        ArrayView<float> floats = SharedMemory.Allocate<float>(RowGroup.Size);
        ArrayView<int> ints = SharedMemory.Allocate<int>(RowGroup.ScanWords);
        int t = Group.IdxX, offset = Grid.IdxX * vocab;
        float max = float.NegativeInfinity;
        for (int j = t; j < vocab; j += RowGroup.Size)
            max = MathF.Max(max, logits[offset + j]);
        max = RowGroup.Reduce<float, FloatMax>(floats, max);
        float sum = 0f;
        for (int j = t; j < vocab; j += RowGroup.Size)
            sum += MathF.Exp(logits[offset + j] - max);
        sum = RowGroup.Reduce<float, FloatSum>(floats, sum);

        uint threshold = 0;
        for (int bit = 31; bit >= 0; bit--)
        {
            uint candidate = threshold | (1u << bit);
            // P(key >= candidate) = P(key > candidate - 1); candidate has a bit set, so no underflow.
            if (GroupMassAbove(floats, logits, offset, vocab, max, sum, candidate - 1) > topP)
                threshold = candidate;
        }
        float before = GroupMassAbove(floats, logits, offset, vocab, max, sum, threshold);

        // The tie group at the threshold: its size, its members' probability, how many are kept.
        int members = 0;
        float p = 0f;
        for (int j = t; j < vocab; j += RowGroup.Size)
        {
            float x = logits[offset + j];
            if (OrderedKey(x) == threshold)
            {
                members++;
                p = MathF.Exp(x - max) / sum;
            }
        }
        members = RowGroup.Reduce<int, IntSum>(ints, members);
        p = RowGroup.Reduce<float, FloatMax>(floats, p);
        int kept = 0;
        if (t == 0)
            for (; kept < members && before <= topP; kept++)
                before += p;
        kept = RowGroup.Broadcast(ints, kept, 0);

        RowGroup.OwnRun(vocab, out int begin, out int end);
        int runMembers = 0;
        for (int j = begin; j < end; j++)
            if (OrderedKey(logits[offset + j]) == threshold)
                runMembers++;
        int rank = RowGroup.ExclusiveScan<int, IntSum>(ints, runMembers, 0);
        for (int j = begin; j < end; j++)
        {
            uint key = OrderedKey(logits[offset + j]);
            if (key < threshold)
                logits[offset + j] = float.NegativeInfinity;
            else if (key == threshold)
            {
                if (rank >= kept)
                    logits[offset + j] = float.NegativeInfinity;
                rank++;
            }
        }
    }

    /// <summary>
    /// The row's probability mass of keys &gt; key, by the group: each thread sums j = t, t + 256, ...
    /// and the partials meet in <paramref name="shared"/> (256 floats).
    /// </summary>
    private static float GroupMassAbove(ArrayView<float> shared, ArrayView<float> logits, int offset, int vocab,
        float max, float sum, uint key)
    {
        float mass = 0f;
        for (int j = Group.IdxX; j < vocab; j += RowGroup.Size)
        {
            float x = logits[offset + j];
            if (OrderedKey(x) > key)
                mass += MathF.Exp(x - max) / sum;
        }
        return RowGroup.Reduce<float, FloatSum>(shared, mass);
    }

    /// <summary>Probability mass of the row's tokens whose key is &gt; key, summed in index order.</summary>
    private static float MassAbove(ArrayView<float> logits, long offset, int vocab, float max, float sum, uint key)
    {
        float mass = 0f;
        for (int j = 0; j < vocab; j++)
        {
            float x = logits[offset + j];
            if (OrderedKey(x) > key)
                mass += MathF.Exp(x - max) / sum;
        }
        return mass;
    }

    /// <summary>
    /// An unsigned key in the order of the floats: flip every bit of a negative float, set the sign
    /// bit of a positive one. -0 is mapped like +0, so keys are equal exactly when the floats
    /// compare equal (NaN aside: logits are finite or -inf).
    /// </summary>
    internal static uint OrderedKey(float x)
    {
        uint bits = x == 0f ? 0u : Interop.FloatAsInt(x);
        return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, int, int>? topKFilter;
    private Action<Index1D, ArrayView<float>, int, float>? topPFilter;
    private Action<KernelConfig, ArrayView<float>, int, int>? groupTopK;
    private Action<KernelConfig, ArrayView<float>, int, float>? groupTopP;

    /// <summary>
    /// Top-k filter in place: per row, logits below the k-th largest become -inf (ties with it are
    /// kept). k is clamped to [1, vocab] as the official code does. logits: [rows, vocab].
    /// </summary>
    public void TopKFilter(ArrayView<float> logits, int rows, int vocab, int k)
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "top-k filtering needs k >= 1");
        RequireRows(logits, rows, vocab, "TopKFilter");
        if (rows == 0)
            return;
        if (Profile.Rows == RowVariant.GroupPerRow)
        {
            RowsTimesVocab(rows, 1, vocab, "TopKFilter");
            groupTopK ??= Accelerator.LoadStreamKernel<ArrayView<float>, int, int>(LogitFilterKernels.GroupTopK);
            groupTopK(new KernelConfig(rows, RowGroup.Size), logits, vocab, Math.Min(k, vocab));
            return;
        }
        topKFilter ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, int, int>(LogitFilterKernels.TopK, ImplicitGroupSize);
        topKFilter(rows, logits, vocab, Math.Min(k, vocab));
    }

    /// <summary>
    /// Top-p (nucleus) filter in place: per row, tokens whose preceding probability mass in sorted
    /// order (higher logit first, ties by lower index) exceeds topP become -inf. logits: [rows, vocab];
    /// 0 &lt; topP &lt; 1 (1 keeps everything and needs no call).
    /// </summary>
    public void TopPFilter(ArrayView<float> logits, int rows, int vocab, float topP)
    {
        if (!(topP > 0f && topP < 1f))
            throw new ArgumentOutOfRangeException(nameof(topP), topP, "top-p filtering needs 0 < p < 1");
        RequireRows(logits, rows, vocab, "TopPFilter");
        if (rows == 0)
            return;
        if (Profile.Rows == RowVariant.GroupPerRow)
        {
            RowsTimesVocab(rows, 1, vocab, "TopPFilter");
            groupTopP ??= Accelerator.LoadStreamKernel<ArrayView<float>, int, float>(LogitFilterKernels.GroupTopP);
            groupTopP(new KernelConfig(rows, RowGroup.Size), logits, vocab, topP);
            return;
        }
        topPFilter ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, int, float>(LogitFilterKernels.TopP, ImplicitGroupSize);
        topPFilter(rows, logits, vocab, topP);
    }
}
