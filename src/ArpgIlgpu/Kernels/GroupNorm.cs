using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Shape of a GroupNorm over x: [Batch, Channels, Spatial] (NCHW with Spatial = H*W), Groups
/// groups of Channels / Groups consecutive channels. A group's elements are contiguous, so group
/// (b, g) is the slice [(b*Groups + g) * GroupLength, +GroupLength). The derived sizes are
/// computed once, on the host: kernels read them per element, and integer division is slow.
/// </summary>
public readonly record struct GroupNormShape(int Batch, int Channels, int Spatial, int Groups)
{
    /// <summary>Elements whose mean and variance one thread of the first pass computes.</summary>
    public const int ChunkLength = 4096;

    /// <summary>Channels in one group.</summary>
    public int ChannelsPerGroup { get; } = Groups > 0 ? Channels / Groups : 0;

    /// <summary>Elements in one group: ChannelsPerGroup * Spatial.</summary>
    public int GroupLength { get; } = (Groups > 0 ? Channels / Groups : 0) * Spatial;

    /// <summary>Chunks per group in the first pass.</summary>
    public int Chunks { get; } = ((Groups > 0 ? Channels / Groups : 0) * Spatial + ChunkLength - 1) / ChunkLength;

    /// <summary>Elements of x.</summary>
    public long Length => (long)Batch * Channels * Spatial;

    /// <summary>
    /// Floats of scratch the statistics need: (mean, M2) per chunk, then (mean, 1/std) per group.
    /// </summary>
    public int StatisticsLength => Batch * Groups * (2 * Chunks + 2);

    /// <summary>Where the per-group (mean, 1/std) pairs start in the scratch.</summary>
    internal int GroupStatisticsOffset => Batch * Groups * 2 * Chunks;
}

/// <summary>
/// GroupNorm (Wu and He 2018) in three barrier-free passes: per-chunk mean and sum of squared
/// deviations (two-pass within a chunk, which stays in cache), per-group combination of the
/// chunks with Chan et al.'s parallel formula, and the element-wise normalisation. Statistics
/// are float32 throughout; chunking keeps every sum short (4096 terms at most), so a 256x256
/// plane does not lose precision the way one running sum of 262144 terms would, and it gives
/// GPUs Batch*Groups*Chunks threads instead of Batch*Groups. GPUs take instead one group of
/// threads per group of channels for the statistics (<see cref="GroupNormKernels.GroupStatistics"/>),
/// then the same normalisation.
/// </summary>
internal static class GroupNormKernels
{
    /// <summary>
    /// One work item per (b, g, chunk j): over the chunk's n elements x_i,
    ///   stats[2t] = mean = sum x_i / n,  stats[2t+1] = M2 = sum (x_i - mean)^2,  t = (b*G + g)*Chunks + j.
    /// </summary>
    [Kernel]
    public static void ChunkStatistics(Index1D index, ArrayView<float> x, ArrayView<float> stats, GroupNormShape s,
        ThreadRuns runs)
    {
        for (int t = runs.First(index); t < runs.End(index); t++)
            Chunk(t, x, stats, s);
    }

    private static void Chunk(int t, ArrayView<float> x, ArrayView<float> stats, GroupNormShape s)
    {
        int chunk = t % s.Chunks, group = t / s.Chunks;
        long start = (long)group * s.GroupLength + (long)chunk * GroupNormShape.ChunkLength;
        int n = Math.Min(GroupNormShape.ChunkLength, s.GroupLength - chunk * GroupNormShape.ChunkLength);

        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4)
        {
            s0 += x[start + i];
            s1 += x[start + i + 1];
            s2 += x[start + i + 2];
            s3 += x[start + i + 3];
        }
        for (; i < n; i++)
            s0 += x[start + i];
        float mean = ((s0 + s1) + (s2 + s3)) / n;

        float q0 = 0f, q1 = 0f, q2 = 0f, q3 = 0f;
        for (i = 0; i + 3 < n; i += 4)
        {
            float d0 = x[start + i] - mean, d1 = x[start + i + 1] - mean;
            float d2 = x[start + i + 2] - mean, d3 = x[start + i + 3] - mean;
            q0 += d0 * d0;
            q1 += d1 * d1;
            q2 += d2 * d2;
            q3 += d3 * d3;
        }
        for (; i < n; i++)
        {
            float d = x[start + i] - mean;
            q0 += d * d;
        }
        stats[2 * t] = mean;
        stats[2 * t + 1] = (q0 + q1) + (q2 + q3);
    }

    /// <summary>
    /// One work item per group (b, g): merges the chunks' (n, mean, M2) in order with
    ///   delta = mean_b - mean_a, mean = mean_a + delta n_b / n, M2 = M2_a + M2_b + delta^2 n_a n_b / n,
    /// then stores (mean, 1 / sqrt(M2 / N + eps)) (biased variance, as PyTorch's GroupNorm).
    /// </summary>
    [Kernel]
    public static void CombineChunks(Index1D index, ArrayView<float> stats, GroupNormShape s, float eps,
        ThreadRuns runs)
    {
        for (int group = runs.First(index); group < runs.End(index); group++)
            Combine(group, stats, s, eps);
    }

    private static void Combine(int group, ArrayView<float> stats, GroupNormShape s, float eps)
    {
        int first = group * s.Chunks;
        float count = 0f, mean = 0f, m2 = 0f;
        for (int j = 0; j < s.Chunks; j++)
        {
            float n = Math.Min(GroupNormShape.ChunkLength, s.GroupLength - j * GroupNormShape.ChunkLength);
            float chunkMean = stats[2 * (first + j)], chunkM2 = stats[2 * (first + j) + 1];
            float total = count + n;
            float delta = chunkMean - mean;
            mean += delta * (n / total);
            m2 += chunkM2 + delta * delta * (count * n / total);
            count = total;
        }
        int at = s.GroupStatisticsOffset + 2 * group;
        stats[at] = mean;
        stats[at + 1] = 1f / MathF.Sqrt(m2 / count + eps);
    }

    /// <summary>Threads of a <see cref="GroupStatistics"/> group.</summary>
    public const int ReduceGroupSize = 256;

    /// <summary>
    /// The statistics for GPUs, one group per (b, g) instead of <see cref="ChunkStatistics"/> and
    /// <see cref="CombineChunks"/>: over the group's N = (C/G)*Spatial elements x_i, two passes,
    ///   mean = sum x_i / N,  M2 = sum (x_i - mean)^2,  stats = (mean, 1 / sqrt(M2 / N + eps)),
    /// stored where <see cref="CombineChunks"/> stores them. The second pass subtracts the exact
    /// float mean before squaring, so an offset mean costs no digits (one-pass E[x^2] - E[x]^2
    /// would); each thread's sums have N / 256 terms (1024 at the VQ's largest, 4 x 256 x 256),
    /// then 8 levels of pairwise tree, as short as the chunked kernels' sums.
    /// x: [B, C, Spatial]; stats: the scratch of <see cref="GroupNormShape.StatisticsLength"/> floats.
    /// Launch: grid B*G groups of <see cref="ReduceGroupSize"/> threads. Thread t holds partial
    /// sums of elements t, t + 256, ..., 4 independent ones so that 4 loads are in flight.
    /// Shared memory: one float per thread, reduced by halves with a barrier between steps;
    /// step h has threads t &lt; h read words t and t + h: consecutive words, no bank conflicts.
    /// Loads coalesce: consecutive threads read consecutive elements. Bound: bandwidth (x is
    /// read twice, from cache the second time where the group fits in L2), and at batch 1 the
    /// parallelism of 32 groups.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupStatistics(ArrayView<float> x, ArrayView<float> stats, GroupNormShape s, float eps)
    {
        ArrayView<float> partial = SharedMemory.Allocate<float>(ReduceGroupSize);
        int group = Grid.IdxX, t = Group.IdxX, n = s.GroupLength;
        ArrayView<float> elements = x.SubView((long)group * n, n);
        float mean = GroupSum(partial, ThreadSum(elements, t, 0f, squares: false), t) / n;
        float m2 = GroupSum(partial, ThreadSum(elements, t, mean, squares: true), t);
        if (t == 0)
        {
            int at = s.GroupStatisticsOffset + 2 * group;
            stats[at] = mean;
            stats[at + 1] = 1f / MathF.Sqrt(m2 / n + eps);
        }
    }

    /// <summary>
    /// Thread t's share of a group's sum: sum over i = t, t + 256, ... of x_i, or of (x_i - mean)^2
    /// when <paramref name="squares"/>, in 4 independent partial sums.
    /// </summary>
    private static float ThreadSum(ArrayView<float> x, int t, float mean, bool squares)
    {
        const int step = ReduceGroupSize;
        int n = (int)x.Length, i = t;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (; i + 3 * step < n; i += 4 * step)
        {
            s0 += Term(x[i], mean, squares);
            s1 += Term(x[i + step], mean, squares);
            s2 += Term(x[i + 2 * step], mean, squares);
            s3 += Term(x[i + 3 * step], mean, squares);
        }
        for (; i < n; i += step)
            s0 += Term(x[i], mean, squares);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>v, or (v - mean)^2.</summary>
    private static float Term(float v, float mean, bool squares) => squares ? (v - mean) * (v - mean) : v;

    /// <summary>
    /// The sum of every thread's <paramref name="value"/> over the group, returned to all threads.
    /// A barrier before every step of the tree and one after reading the total, so that the next
    /// call may overwrite the shared floats.
    /// </summary>
    private static float GroupSum(ArrayView<float> partial, float value, int t)
    {
        partial[t] = value;
        Group.Barrier();
        for (int half = ReduceGroupSize / 2; half > 0; half /= 2)
        {
            if (t < half)
                partial[t] += partial[t + half];
            Group.Barrier();
        }
        float total = partial[0];
        Group.Barrier();
        return total;
    }

    /// <summary>
    /// One thread per element (position p, plane b*C + c):
    ///   y[b, c, p] = (x[b, c, p] - mean[b, g]) / std[b, g] * gamma[c] + beta[c],  g = c / (C / G),
    /// then, when <paramref name="swish"/> is 1, y = y * sigmoid(y) (the VQ's norm-then-swish pairs,
    /// fused). x, y: [B, C, Spatial]; y may alias x. The 2-D index spares GPUs a division per
    /// element.
    /// </summary>
    [Kernel]
    public static void Apply(Index2D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, ArrayView<float> stats, GroupNormShape s, int swish)
    {
        int plane = index.Y;
        long i = (long)plane * s.Spatial + index.X;
        y[i] = Normalize(x[i], plane, gamma, beta, stats, s, swish);
    }

    /// <summary>
    /// <see cref="Apply"/> for host CPUs (the CPU accelerator, PoCL): each thread normalises a run of
    /// whole planes (b, c), so the per-plane values are looked up once per plane and PoCL vectorises
    /// the loop over the plane (12 against 30 ms for <see cref="Apply"/> at 128 x 256 x 256 with
    /// swish, on the 2-core CI machine). Ops sends calls whose y is x to <see cref="ApplyPlanesInPlace"/>.
    /// </summary>
    [Kernel]
    public static void ApplyPlanes(Index1D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, ArrayView<float> stats, GroupNormShape s, int swish, ThreadRuns runs)
    {
        for (int plane = runs.First(index); plane < runs.End(index); plane++)
            NormalizePlane(x, y, plane, gamma, beta, stats, s, swish);
    }

    /// <summary>
    /// <see cref="ApplyPlanes"/> with the result written over x. Its own kernel, because PoCL
    /// vectorises a loop that reads one view and writes another only behind a run-time check that
    /// the two do not overlap, and x and y the same view fail it: the loop then runs scalar (33
    /// against 6 ms at 128 x 256 x 256 with swish on PoCL, the VQ's in-place norm2). With one
    /// view, the read and the write of each element are visibly the same address.
    /// </summary>
    [Kernel]
    public static void ApplyPlanesInPlace(Index1D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> stats, GroupNormShape s, int swish, ThreadRuns runs)
    {
        for (int plane = runs.First(index); plane < runs.End(index); plane++)
            NormalizePlane(x, x, plane, gamma, beta, stats, s, swish);
    }

    /// <summary>y[plane, p] = the normalised (and swished) x[plane, p] for every position p of the plane.</summary>
    private static void NormalizePlane(ArrayView<float> x, ArrayView<float> y, int plane, ArrayView<float> gamma,
        ArrayView<float> beta, ArrayView<float> stats, GroupNormShape s, int swish)
    {
        long start = (long)plane * s.Spatial;
        for (int p = 0; p < s.Spatial; p++)
            y[start + p] = Normalize(x[start + p], plane, gamma, beta, stats, s, swish);
    }

    /// <summary>One element of plane b*C + c, normalised with its group's statistics, then swish if asked.</summary>
    private static float Normalize(float value, int plane, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> stats, GroupNormShape s, int swish)
    {
        int c = plane % s.Channels;
        int at = s.GroupStatisticsOffset + 2 * (plane / s.ChannelsPerGroup); // plane b*C + c is in group b*G + c/(C/G)
        float v = (value - stats[at]) * stats[at + 1] * gamma[c] + beta[c];
        return swish != 0 ? v / (1f + MathF.Exp(-v)) : v;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, GroupNormShape, ThreadRuns>? groupNormChunks;
    private Action<Index1D, ArrayView<float>, GroupNormShape, float, ThreadRuns>? groupNormCombine;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        GroupNormShape, int>? groupNormApply;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        GroupNormShape, int, ThreadRuns>? groupNormApplyPlanes;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GroupNormShape, int,
        ThreadRuns>? groupNormApplyPlanesInPlace;

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, GroupNormShape, float>? groupNormGroupStatistics;

    /// <summary>
    /// y = GroupNorm(x) * gamma + beta, then y = y * sigmoid(y) when <paramref name="swish"/>.
    /// x, y: [B, C, Spatial] (y may alias x); gamma, beta: [C]; statistics: scratch of
    /// <see cref="GroupNormShape.StatisticsLength"/> floats.
    /// </summary>
    public void GroupNorm(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> statistics, GroupNormShape shape, float eps, bool swish) =>
        GroupNorm(x, gamma, beta, y, statistics, shape, eps, swish, Profile.GroupNorm);

    /// <summary>
    /// <see cref="GroupNorm(ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, GroupNormShape, float, bool)"/>
    /// with the variant chosen: statistics chunked (barrier-free) or by a group per (image, group)
    /// (GPUs); the normalisation one work item per element (GPUs) or per run of planes (host CPUs).
    /// </summary>
    internal void GroupNorm(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> statistics, GroupNormShape shape, float eps, bool swish, GroupNormVariant variant)
    {
        if (shape.Groups < 1 || shape.Channels % shape.Groups != 0)
            throw new ArgumentException($"GroupNorm: {shape.Channels} channels do not split into {shape.Groups} groups");
        Require(x, shape.Length, "GroupNorm x");
        Require(y, shape.Length, "GroupNorm y");
        Require(gamma, shape.Channels, "GroupNorm gamma");
        Require(beta, shape.Channels, "GroupNorm beta");
        Require(statistics, shape.StatisticsLength, "GroupNorm statistics");
        if (shape.Length == 0)
            return;
        int groups = shape.Batch * shape.Groups, planes = shape.Batch * shape.Channels;
        if (variant == GroupNormVariant.GroupReduce)
        {
            groupNormGroupStatistics ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, GroupNormShape,
                float>(GroupNormKernels.GroupStatistics);
            groupNormGroupStatistics(new KernelConfig(groups, GroupNormKernels.ReduceGroupSize), x, statistics, shape, eps);
        }
        else
        {
            groupNormChunks ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
                GroupNormShape, ThreadRuns>(GroupNormKernels.ChunkStatistics, ImplicitGroupSize);
            groupNormCombine ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, GroupNormShape,
                float, ThreadRuns>(GroupNormKernels.CombineChunks, ImplicitGroupSize);
            ThreadRuns chunks = Runs((long)groups * shape.Chunks), combine = Runs(groups);
            groupNormChunks(chunks.Threads, x, statistics, shape, chunks);
            groupNormCombine(combine.Threads, statistics, shape, eps, combine);
        }
        if (variant == GroupNormVariant.Planes)
        {
            ThreadRuns apply = Runs(planes);
            if (SameElements(x, y))
            {
                groupNormApplyPlanesInPlace ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>,
                    ArrayView<float>, ArrayView<float>, ArrayView<float>, GroupNormShape, int,
                    ThreadRuns>(GroupNormKernels.ApplyPlanesInPlace, ImplicitGroupSize);
                groupNormApplyPlanesInPlace(apply.Threads, x, gamma, beta, statistics, shape, swish ? 1 : 0, apply);
                return;
            }
            groupNormApplyPlanes ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GroupNormShape, int,
                ThreadRuns>(GroupNormKernels.ApplyPlanes, ImplicitGroupSize);
            groupNormApplyPlanes(apply.Threads, x, gamma, beta, y, statistics, shape, swish ? 1 : 0, apply);
        }
        else
        {
            groupNormApply ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, GroupNormShape, int>(GroupNormKernels.Apply, ImplicitGroupSize);
            groupNormApply(new Index2D(shape.Spatial, planes), x, gamma, beta, y, statistics, shape, swish ? 1 : 0);
        }
    }
}
