using ILGPU;

namespace ArpgIlgpu.Kernels;

/// <summary>An associative operation that a group of threads combines its values with.</summary>
internal interface IGroupOperation<T> where T : unmanaged
{
    /// <summary>a (+) b.</summary>
    T Combine(T a, T b);
}

/// <summary>Float addition.</summary>
internal readonly struct FloatSum : IGroupOperation<float>
{
    public float Combine(float a, float b) => a + b;
}

/// <summary>Float maximum.</summary>
internal readonly struct FloatMax : IGroupOperation<float>
{
    public float Combine(float a, float b) => MathF.Max(a, b);
}

/// <summary>Integer addition (counts).</summary>
internal readonly struct IntSum : IGroupOperation<int>
{
    public int Combine(int a, int b) => a + b;
}

/// <summary>Integer minimum.</summary>
internal readonly struct IntMin : IGroupOperation<int>
{
    public int Combine(int a, int b) => Math.Min(a, b);
}

/// <summary>Integer maximum.</summary>
internal readonly struct IntMax : IGroupOperation<int>
{
    public int Combine(int a, int b) => Math.Max(a, b);
}

/// <summary>
/// The collective steps of the group-per-row kernels (RMSNorm, the sampler, the logit filters):
/// a group of <see cref="Size"/> threads owns one row and meets in shared memory to reduce, scan
/// or broadcast values. Every step starts by writing the shared array and ends with a barrier, so
/// steps can follow each other on the same array. Thread t writes word t and reads words at a
/// fixed distance from it: consecutive threads touch consecutive 4-byte words, so a step has no
/// bank conflicts.
/// No step assumes a warp size: every exchange between threads goes through a barrier.
/// </summary>
internal static class RowGroup
{
    /// <summary>Threads per row: the most every target (PoCL, the simulators, GPUs) runs in one group.</summary>
    public const int Size = 256;

    /// <summary>The 16 x 16 layout of <see cref="Reduce"/>: 16 partial results of 16 values each.</summary>
    private const int Side = 16;

    /// <summary>
    /// Every thread receives value_0 (+) value_1 (+) ... (+) value_255, in two levels: thread
    /// t &lt; 16 combines the values of threads t, t + 16, ..., t + 240 (consecutive threads read
    /// consecutive words: no bank conflicts) into word t, then every thread combines words 0..15
    /// (the same word for all: a broadcast). Three barriers instead of a binary tree's nine, and
    /// the same association on every run, so float sums are deterministic.
    /// shared: at least <see cref="Size"/> elements.
    /// </summary>
    public static T Reduce<T, TOp>(ArrayView<T> shared, T value)
        where T : unmanaged where TOp : struct, IGroupOperation<T>
    {
        TOp op = default;
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        if (t < Side)
        {
            // word t is read first and the other words read are >= 16: writing word t is safe
            T partial = shared[t];
            for (int i = 1; i < Side; i++)
                partial = op.Combine(partial, shared[t + i * Side]);
            shared[t] = partial;
        }
        Group.Barrier();
        T result = shared[0];
        for (int i = 1; i < Side; i++)
            result = op.Combine(result, shared[i]);
        Group.Barrier();
        return result;
    }

    /// <summary>Shared words <see cref="ExclusiveScan"/> needs: the values, one pad word per 16, the 16 segment totals.</summary>
    public const int ScanWords = Size + 2 * Side;

    /// <summary>
    /// Thread t receives identity (+) value_0 (+) ... (+) value_(t-1), the exclusive prefix, in
    /// two levels: thread s &lt; 16 sums the values of segment s (threads 16s .. 16s + 15), then
    /// thread t combines the totals of the segments before its own and the values before its own
    /// in its segment, in index order. Value t lives at word t + t / 16, so that the 16 summing
    /// threads (words 17s + i) hit 16 different banks; the totals follow at word 272 + s. Three
    /// barriers; the same association on every run. (Nothing is rewritten in place: ILGPU 1.5.3
    /// moves a load after a store to the same shared word when the loaded value is used later.)
    /// shared: at least <see cref="ScanWords"/> elements.
    /// </summary>
    public static T ExclusiveScan<T, TOp>(ArrayView<T> shared, T value, T identity)
        where T : unmanaged where TOp : struct, IGroupOperation<T>
    {
        TOp op = default;
        int t = Group.IdxX, segment = t / Side;
        const int totals = Size + Side;
        shared[t + segment] = value;
        Group.Barrier();
        if (t < Side)
        {
            T total = identity;
            for (int i = 0; i < Side; i++)
                total = op.Combine(total, shared[t * (Side + 1) + i]);
            shared[totals + t] = total;
        }
        Group.Barrier();
        T result = identity;
        for (int s = 0; s < segment; s++)
            result = op.Combine(result, shared[totals + s]);
        for (int i = 0; i < t % Side; i++)
            result = op.Combine(result, shared[segment * (Side + 1) + i]);
        Group.Barrier();
        return result;
    }

    /// <summary>Every thread receives thread <paramref name="from"/>'s value. shared: at least 1 element.</summary>
    public static T Broadcast<T>(ArrayView<T> shared, T value, int from) where T : unmanaged
    {
        if (Group.IdxX == from)
            shared[0] = value;
        Group.Barrier();
        T result = shared[0];
        Group.Barrier();
        return result;
    }

    /// <summary>
    /// The contiguous run of a row of n elements that thread t owns when a pass must visit the row
    /// in index order: [t * c, min(n, (t + 1) * c)) with c = ceil(n / Size). Threads past the row's
    /// end get an empty run.
    /// </summary>
    public static void OwnRun(int n, out int begin, out int end)
    {
        int run = (n + Size - 1) / Size;
        begin = Math.Min(n, Group.IdxX * run);
        end = Math.Min(n, begin + run);
    }
}
