using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// What the draw kernel needs besides its buffers (public only because ILGPU's CPU accelerator
/// must see kernel parameter types). The logits hold Batch * Queries rows of Vocab values, row
/// b * Queries + q for image b and query q; its draw is Philox under the key Seed at the counter
/// (imageIndices[b], Step, positions[q], <see cref="Philox.TokenStream"/>).
/// </summary>
/// <param name="Queries">Queries per image (m).</param>
/// <param name="Vocab">Logits per row (V).</param>
/// <param name="Step">The decoding step: counter word 1.</param>
/// <param name="Seed">The Philox key.</param>
public readonly record struct SamplingShape(int Queries, int Vocab, int Step, ulong Seed);

/// <summary>
/// Where the group-per-row sampling kernels read row r's logit v, at flat index i = r * V + v
/// (public only because ILGPU's CPU accelerator must see kernel parameter types). With Half = 0
/// (default) the logits are x[i] as they are, x: [rows, V]. Otherwise they are guided on the fly
/// from both classifier-free-guidance halves of x: [2B, m, V], (u + (c - u) * Scale) /
/// Temperature with c = x[i] (conditional) and u = x[i + Half], the operation order of
/// <see cref="SamplingKernels.Guide"/>. The branch is the same for every thread of a launch.
/// </summary>
/// <param name="Half">0, or B * m * V: where the unconditional rows start.</param>
/// <param name="Scale">The guidance scale.</param>
/// <param name="Temperature">The temperature divisor (1 for argmax).</param>
public readonly record struct RowLogits(int Half, float Scale, float Temperature)
{
    /// <summary>The logit at flat index i.</summary>
    public float Load(ArrayView<float> x, int i)
    {
        if (Half == 0)
            return x[i];
        float c = x[i], u = x[i + Half];
        return (u + (c - u) * Scale) / Temperature;
    }
}

/// <summary>A value and its index; the argmax's partial result.</summary>
internal readonly record struct IndexedValue(float Value, int Index);

/// <summary>The larger value; between equal values the lower index (argmax's tie rule).</summary>
internal readonly struct FirstMaximum : IGroupOperation<IndexedValue>
{
    public IndexedValue Combine(IndexedValue a, IndexedValue b) =>
        b.Value > a.Value || (b.Value == a.Value && b.Index < a.Index) ? b : a;
}

/// <summary>
/// The token sampler's kernels: classifier-free guidance, argmax, and a draw from the softmax of a
/// row (top-k and top-p filtering are in LogitFilters.cs). The ThreadPerRow kernels are
/// barrier-free: one thread per element or per row, a row scanned sequentially, so the CPU
/// accelerator runs them as they are. The GroupPerRow kernels give each row a group of
/// <see cref="RowGroup.Size"/> threads and may read guidance's two halves directly
/// (<see cref="RowLogits"/>), so that a step's sampling is one launch.
/// </summary>
internal static class SamplingKernels
{
    /// <summary>
    /// Classifier-free guidance and temperature, element-wise over the conditional half:
    ///   guided[i] = (u + (c - u) * scale) / temperature,  c = logits[i], u = logits[i + half].
    /// logits: [2B, m, V] (conditional rows 0..B-1, then the unconditional ones), half = B*m*V;
    /// guided: [B, m, V]. guided may be the first half of logits itself: each element is read
    /// before it is written. The operation order is the official one (PyTorch evaluates each
    /// operator separately in float32), so guided matches it to the last bit on the CPU.
    /// Thread t does the elements [t * chunk, (t + 1) * chunk): 1 on GPUs and OpenCL, thousands on
    /// the CPU accelerator, whose cost per simulated thread (microseconds) would otherwise make this
    /// the slowest kernel of a step.
    /// </summary>
    [Kernel]
    public static void Guide(Index1D index, ArrayView<float> logits, ArrayView<float> guided, int half, int chunk,
        float scale, float temperature)
    {
        int start = index * chunk;
        int end = Math.Min(half, start + chunk);
        for (int i = start; i < end; i++)
        {
            float c = logits[i];
            float u = logits[i + half];
            guided[i] = (u + (c - u) * scale) / temperature;
        }
    }

    /// <summary>
    /// tokens[r] = argmax_v x[r, v], the lowest v among equal maxima (as torch.argmax on the CPU).
    /// x: [rows, V] -> tokens: [rows]. One thread per row.
    /// </summary>
    [Kernel]
    public static void Argmax(Index1D row, ArrayView<float> x, ArrayView<int> tokens, int vocab)
    {
        long offset = (long)(int)row * vocab;
        float best = x[offset];
        int bestIndex = 0;
        for (int v = 1; v < vocab; v++)
        {
            // Strictly greater: a later equal value never replaces an earlier one.
            if (x[offset + v] > best)
            {
                best = x[offset + v];
                bestIndex = v;
            }
        }
        tokens[row] = bestIndex;
    }

    /// <summary>
    /// One draw per row from softmax(x[r, :]) (multinomial with one sample), one thread per row:
    ///   e_v = exp(x_v - max x),  total = e_0 + e_1 + ... (sequentially, in float32),
    ///   token = the first v with e_0 + ... + e_v > u * total, u = Philox uniform in [0, 1).
    /// The running sum repeats the operations of the total, so it ends exactly at total and the
    /// draw is consistent with it; a token with e_v = 0 (a filtered logit, -inf) can never be
    /// drawn. If u * total rounds up to total, no prefix exceeds it and the last token with
    /// e_v > 0 is taken. Precision: token v is drawn with probability (prefix_v - prefix_(v-1)) /
    /// total, rounded to u's grid of 2^-24; each float32 addition moves a prefix by at most half an
    /// ulp of total, so every token's probability is right to about 2^-24 ~ 6e-8 absolute (a
    /// token far below that, e.g. p = 1e-9, may never be drawn), whatever V is.
    /// x: [Batch * Queries, V]; imageIndices: [Batch]; positions: [Queries]; tokens: [Batch * Queries].
    /// </summary>
    [Kernel]
    public static void Sample(Index1D row, ArrayView<float> x, ArrayView<int> imageIndices, ArrayView<int> positions,
        ArrayView<int> tokens, SamplingShape s)
    {
        int r = row;
        int b = r / s.Queries, q = r % s.Queries;
        long offset = (long)r * s.Vocab;
        float max = RowMax(x, offset, s.Vocab);
        float total = SumExp(x, offset, s.Vocab, max);
        float u = Philox.Uniform(s.Seed, (uint)imageIndices[b], (uint)s.Step, (uint)positions[q], Philox.TokenStream);
        float target = u * total;

        // chosen = Vocab means "not yet" (a negative sentinel would print as 4294967295 in
        // ILGPU's OpenCL C and make PoCL warn)
        float prefix = 0f;
        int chosen = s.Vocab, lastPossible = 0;
        for (int v = 0; v < s.Vocab && chosen == s.Vocab; v++)
        {
            float e = MathF.Exp(x[offset + v] - max);
            prefix += e;
            if (e > 0f)
                lastPossible = v;
            if (prefix > target)
                chosen = v;
        }
        tokens[r] = chosen < s.Vocab ? chosen : lastPossible;
    }

    /// <summary>
    /// tokens[r] = argmax_v logits(r, v), the lowest v among equal maxima, as <see cref="Argmax"/>.
    /// x: [rows, V] (or both guidance halves, see <see cref="RowLogits"/>) -> tokens: [rows].
    /// Launch: grid = rows, groups of 256. Thread t keeps the first maximum of v = t, t + 256, ...
    /// (each load of the group is 256 consecutive floats: coalesced); the 256 (value, index) pairs
    /// meet in 256 x 8 bytes of shared memory (<see cref="RowGroup.Reduce"/>: consecutive threads,
    /// consecutive 8-byte words). At ARPG-L (V = 16384: 64 loads per thread, twice with guidance)
    /// it is bound by memory bandwidth.
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupArgmax(ArrayView<float> x, ArrayView<int> tokens, int vocab, RowLogits logits)
    {
        ArrayView<IndexedValue> partials = SharedMemory.Allocate<IndexedValue>(RowGroup.Size);
        FirstMaximum first = default;
        int r = Grid.IdxX, offset = r * vocab;
        // index vocab: "none yet", above every real index, so a real -inf still wins the tie
        var best = new IndexedValue(float.NegativeInfinity, vocab);
        for (int v = Group.IdxX; v < vocab; v += RowGroup.Size)
            best = first.Combine(best, new IndexedValue(logits.Load(x, offset + v), v));
        best = RowGroup.Reduce<IndexedValue, FirstMaximum>(partials, best);
        if (Group.IdxX == 0)
            tokens[r] = best.Index < vocab ? best.Index : 0;
    }

    /// <summary>
    /// One draw per row from softmax(logits(r, :)), the draw of <see cref="Sample"/> by a group:
    ///   e_v = exp(x_v - max x); thread t owns the run [t * c, (t + 1) * c) of the row, c = ceil(V / 256),
    ///   and sums it in index order (s_t); start_t = s_0 + ... + s_(t-1) (a scan in shared memory);
    ///   the prefix of token v in run t is F(v) = start_t + (e_begin + ... + e_v), so F ends each run
    ///   at start_t + s_t and the row at total = start_255 + s_255;
    ///   token = the first v with e_v &gt; 0 and F(v) &gt; u * total, u = the row's Philox uniform.
    /// As in the sequential kernel: a filtered logit (e_v = 0) is never drawn, and if u * total
    /// rounds up to total the last token with e_v &gt; 0 is taken. Only the sums' association differs
    /// from the sequential sampler's, so a draw differs only where u * total lies within float32
    /// rounding of a boundary (about 2^-24 of total).
    /// x: [Batch * Queries, V] (or both guidance halves, see <see cref="RowLogits"/>);
    /// imageIndices: [Batch]; positions: [Queries]; tokens: [Batch * Queries].
    /// Launch: grid = Batch * Queries, groups of 256. Shared memory: 288 floats and 256 ints, used
    /// by the steps of <see cref="RowGroup"/> (laid out so that they have no bank conflicts).
    /// Passes: the max, strided (coalesced); the run sums, each thread reading its own 64
    /// consecutive floats at ARPG-L (a warp's load touches 32 lines, reused over the next
    /// iterations from L1; the max pass brought the row's 64 KB to L2); the search, in which the
    /// threads whose run ends past u * total walk it to their first token past it (the crossing
    /// run in full, later runs one token each) and the earliest token wins. Thread 0 draws u and
    /// broadcasts it. At ARPG-L it is bound by the exponentials (2 per logit) and
    /// memory bandwidth (3 or 6 reads of each logit, from cache after the first).
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupSample(ArrayView<float> x, ArrayView<int> imageIndices, ArrayView<int> positions,
        ArrayView<int> tokens, SamplingShape s, RowLogits logits)
    {
        ArrayView<float> floats = SharedMemory.Allocate<float>(RowGroup.ScanWords);
        ArrayView<int> ints = SharedMemory.Allocate<int>(RowGroup.Size);
        int r = Grid.IdxX, t = Group.IdxX, offset = r * s.Vocab;

        float max = float.NegativeInfinity;
        for (int v = t; v < s.Vocab; v += RowGroup.Size)
            max = MathF.Max(max, logits.Load(x, offset + v));
        max = RowGroup.Reduce<float, FloatMax>(floats, max);

        RowGroup.OwnRun(s.Vocab, out int begin, out int end);
        float runSum = 0f;
        int lastPositive = 0;
        for (int v = begin; v < end; v++)
        {
            float e = MathF.Exp(logits.Load(x, offset + v) - max);
            runSum += e;
            if (e > 0f)
                lastPositive = v;
        }
        float start = RowGroup.ExclusiveScan<float, FloatSum>(floats, runSum, 0f);
        float runEnd = start + runSum;
        float total = RowGroup.Broadcast(floats, runEnd, RowGroup.Size - 1);
        float u = 0f;
        if (t == 0)
            u = Philox.Uniform(s.Seed, (uint)imageIndices[r / s.Queries], (uint)s.Step, (uint)positions[r % s.Queries],
                Philox.TokenStream);
        float target = RowGroup.Broadcast(floats, u, 0) * total;

        // chosen = Vocab means "not in this run" (a negative sentinel would print as 4294967295 in
        // ILGPU's OpenCL C and make PoCL warn)
        int chosen = s.Vocab;
        if (runEnd > target)
        {
            float prefix = 0f;
            for (int v = begin; v < end && chosen == s.Vocab; v++)
            {
                float e = MathF.Exp(logits.Load(x, offset + v) - max);
                prefix += e;
                if (e > 0f && start + prefix > target)
                    chosen = v;
            }
        }
        chosen = RowGroup.Reduce<int, IntMin>(ints, chosen);
        if (chosen == s.Vocab)
            chosen = RowGroup.Reduce<int, IntMax>(ints, lastPositive);
        if (t == 0)
            tokens[r] = chosen;
    }

    /// <summary>
    /// The probability the sampler gave the token it chose, for tracing a run step by step (the explain pictures):
    ///   probabilities[r] = exp(l_t - max_v l_v) / sum_v exp(l_v - max_v l_v),  t = tokens[r],
    /// with l the row's logits as the draw saw them (<see cref="RowLogits"/>: guided and divided by
    /// the temperature on the fly, or already so in x; a filtered logit, -inf, adds nothing).
    /// x: [rows, V] (or both guidance halves); tokens, probabilities: [rows]. One thread per row,
    /// the denominator summed in index order as <see cref="SumExp"/> sums it, so on the CPU it is
    /// the draw's own total.
    /// </summary>
    [Kernel]
    public static void ChosenProbability(Index1D row, ArrayView<float> x, ArrayView<int> tokens,
        ArrayView<float> probabilities, int vocab, RowLogits logits)
    {
        int offset = row * vocab;
        float max = float.NegativeInfinity;
        for (int v = 0; v < vocab; v++)
            max = MathF.Max(max, logits.Load(x, offset + v));
        float total = 0f;
        for (int v = 0; v < vocab; v++)
            total += MathF.Exp(logits.Load(x, offset + v) - max);
        probabilities[row] = MathF.Exp(logits.Load(x, offset + tokens[row]) - max) / total;
    }

    /// <summary>
    /// <see cref="ChosenProbability"/> by a group per row: the max and the denominator are strided
    /// sums (thread t reads v = t, t + 256, ...: each load of the group is 256 consecutive floats,
    /// coalesced) reduced by <see cref="RowGroup.Reduce"/> in 256 shared floats (consecutive
    /// threads, consecutive words: no bank conflicts). Its association differs from the draw's
    /// run sums, so the result matches the draw's probability to float32 rounding.
    /// Launch: grid = rows, groups of 256. Bound by memory bandwidth (two or four reads of a row).
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupChosenProbability(ArrayView<float> x, ArrayView<int> tokens,
        ArrayView<float> probabilities, int vocab, RowLogits logits)
    {
        ArrayView<float> shared = SharedMemory.Allocate<float>(RowGroup.Size);
        int r = Grid.IdxX, offset = r * vocab;
        float max = float.NegativeInfinity;
        for (int v = Group.IdxX; v < vocab; v += RowGroup.Size)
            max = MathF.Max(max, logits.Load(x, offset + v));
        max = RowGroup.Reduce<float, FloatMax>(shared, max);
        float sum = 0f;
        for (int v = Group.IdxX; v < vocab; v += RowGroup.Size)
            sum += MathF.Exp(logits.Load(x, offset + v) - max);
        float total = RowGroup.Reduce<float, FloatSum>(shared, sum);
        if (Group.IdxX == 0)
            probabilities[r] = MathF.Exp(logits.Load(x, offset + tokens[r]) - max) / total;
    }

    /// <summary>max_v x[offset + v] over a row of n values.</summary>
    internal static float RowMax(ArrayView<float> x, long offset, int n)
    {
        float max = x[offset];
        for (int v = 1; v < n; v++)
            max = MathF.Max(max, x[offset + v]);
        return max;
    }

    /// <summary>
    /// sum_v exp(x[offset + v] - max), accumulated sequentially in index order in float32: the
    /// softmax denominator, computed the same way by every kernel that needs it.
    /// </summary>
    internal static float SumExp(ArrayView<float> x, long offset, int n, float max)
    {
        float total = 0f;
        for (int v = 0; v < n; v++)
            total += MathF.Exp(x[offset + v] - max);
        return total;
    }
}

public sealed partial class Ops
{
    /// <summary>Elements per thread of the guidance kernel on the CPU accelerator.</summary>
    private const int CpuGuideChunk = 4096;

    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, float, float>? guide;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, int>? argmax;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, SamplingShape>? sample;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, RowLogits>? groupArgmax;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, SamplingShape, RowLogits>? groupSample;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, RowLogits>? chosenProbability;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, RowLogits>? groupChosenProbability;

    /// <summary>
    /// Classifier-free guidance, then temperature: guided = (u + (c - u) * scale) / temperature,
    /// with c the conditional and u the unconditional logits. logits: [2 * batch, queries, vocab],
    /// conditional rows first; guided: [batch, queries, vocab], which may be the first half of
    /// <paramref name="logits"/> (in place). Pass temperature 1 to apply guidance alone.
    /// </summary>
    public void GuideLogits(ArrayView<float> logits, ArrayView<float> guided, int batch, int queries, int vocab,
        float scale, float temperature)
    {
        if (!(temperature > 0f))
            throw new ArgumentException($"GuideLogits: temperature {temperature} must be positive");
        int half = RowsTimesVocab(batch, queries, vocab, "GuideLogits");
        Require(logits, 2L * half, "GuideLogits logits");
        Require(guided, half, "GuideLogits guided");
        if (half == 0)
            return;
        guide ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, float, float>(
            SamplingKernels.Guide, ImplicitGroupSize);
        int chunk = Profile.Runs == ElementRuns.LongRuns ? CpuGuideChunk : 1;
        guide((half + chunk - 1) / chunk, logits, guided, half, chunk, scale, temperature);
    }

    /// <summary>
    /// tokens[r] = the index of the largest value of row r, the lowest index among equal maxima.
    /// x: [rows, vocab]; tokens: [rows].
    /// </summary>
    public void Argmax(ArrayView<float> x, int rows, int vocab, ArrayView<int> tokens)
    {
        RequireRows(x, rows, vocab, "Argmax");
        Require(tokens, rows, "Argmax tokens");
        if (rows == 0)
            return;
        if (Profile.Rows == RowVariant.GroupPerRow)
        {
            RowsTimesVocab(rows, 1, vocab, "Argmax");
            groupArgmax ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, RowLogits>(
                SamplingKernels.GroupArgmax);
            groupArgmax(new KernelConfig(rows, RowGroup.Size), x, tokens, vocab, default);
            return;
        }
        argmax ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int>(
            SamplingKernels.Argmax, ImplicitGroupSize);
        argmax(rows, x, tokens, vocab);
    }

    /// <summary>
    /// Draws one token per row from softmax(x[row, :]). Row b * queries + q belongs to image b and
    /// query q; its uniform draw is Philox under <paramref name="seed"/> at the counter
    /// (imageIndices[b], step, positions[q], <see cref="Philox.TokenStream"/>), so an image's
    /// tokens depend on its own index, never on the rest of the batch. x: [batch * queries, vocab]
    /// (logits; -inf marks a filtered token); imageIndices: [batch]; positions: [queries];
    /// tokens: [batch * queries]. When <paramref name="probabilities"/> ([batch * queries]) is
    /// given, it receives each chosen token's probability (<see cref="ChosenProbabilities"/>).
    /// </summary>
    public void SampleTokens(ArrayView<float> x, int batch, int queries, int vocab, ArrayView<int> imageIndices,
        ArrayView<int> positions, int step, ulong seed, ArrayView<int> tokens, ArrayView<float> probabilities = default)
    {
        int rows = checked(batch * queries);
        RequireRows(x, rows, vocab, "SampleTokens");
        Require(imageIndices, batch, "SampleTokens imageIndices");
        Require(positions, queries, "SampleTokens positions");
        Require(tokens, rows, "SampleTokens tokens");
        if (rows == 0)
            return;
        var shape = new SamplingShape(queries, vocab, step, seed);
        if (Profile.Rows == RowVariant.GroupPerRow)
        {
            RowsTimesVocab(batch, queries, vocab, "SampleTokens");
            groupSample ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
                SamplingShape, RowLogits>(SamplingKernels.GroupSample);
            groupSample(new KernelConfig(rows, RowGroup.Size), x, imageIndices, positions, tokens, shape, default);
        }
        else
        {
            sample ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>,
                ArrayView<int>, SamplingShape>(SamplingKernels.Sample, ImplicitGroupSize);
            sample(rows, x, imageIndices, positions, tokens, shape);
        }
        if (probabilities.Length > 0)
            ChosenProbabilities(x, rows, vocab, tokens, probabilities, default);
    }

    /// <summary>
    /// Guidance, then the argmax: tokens[r] = argmax_v (u + (c - u) * scale) of row r, the lowest
    /// index among equal maxima. logits: [2 * batch, queries, vocab], conditional rows first;
    /// tokens: [batch * queries]. With <see cref="RowVariant.GroupPerRow"/> one launch reads both
    /// halves and leaves logits unchanged; otherwise <see cref="GuideLogits"/> overwrites the
    /// conditional half before <see cref="Argmax"/>. When <paramref name="probabilities"/>
    /// ([batch * queries]) is given, it receives each chosen token's probability under the softmax
    /// of the guided logits (temperature 1: the argmax itself gives its token probability 1).
    /// </summary>
    public void GuideAndArgmax(ArrayView<float> logits, int batch, int queries, int vocab, float scale, ArrayView<int> tokens,
        ArrayView<float> probabilities = default)
    {
        int half = RowsTimesVocab(batch, queries, vocab, "GuideAndArgmax");
        RequireGuided(logits, half, "GuideAndArgmax");
        ArrayView<float> conditional = logits.SubView(0, half);
        if (Profile.Rows != RowVariant.GroupPerRow)
        {
            GuideLogits(logits, conditional, batch, queries, vocab, scale, 1f);
            Argmax(conditional, batch * queries, vocab, tokens);
            if (probabilities.Length > 0)
                ChosenProbabilities(conditional, batch * queries, vocab, tokens, probabilities, default);
            return;
        }
        Require(tokens, batch * queries, "GuideAndArgmax tokens");
        if (half == 0)
            return;
        groupArgmax ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, RowLogits>(
            SamplingKernels.GroupArgmax);
        groupArgmax(new KernelConfig(batch * queries, RowGroup.Size), logits, tokens, vocab, new RowLogits(half, scale, 1f));
        if (probabilities.Length > 0)
            ChosenProbabilities(logits, batch * queries, vocab, tokens, probabilities, new RowLogits(half, scale, 1f));
    }

    /// <summary>
    /// Guidance and temperature, then one draw per row from the softmax of
    /// (u + (c - u) * scale) / temperature, as <see cref="SampleTokens"/> draws it. logits:
    /// [2 * batch, queries, vocab], conditional rows first; imageIndices: [batch]; positions:
    /// [queries]; tokens: [batch * queries]. With <see cref="RowVariant.GroupPerRow"/> one launch
    /// reads both halves and leaves logits unchanged; otherwise <see cref="GuideLogits"/> overwrites
    /// the conditional half before <see cref="SampleTokens"/>. When <paramref name="probabilities"/>
    /// ([batch * queries]) is given, it receives each chosen token's probability.
    /// </summary>
    public void GuideAndSample(ArrayView<float> logits, int batch, int queries, int vocab, float scale, float temperature,
        ArrayView<int> imageIndices, ArrayView<int> positions, int step, ulong seed, ArrayView<int> tokens,
        ArrayView<float> probabilities = default)
    {
        int half = RowsTimesVocab(batch, queries, vocab, "GuideAndSample");
        RequireGuided(logits, half, "GuideAndSample");
        ArrayView<float> conditional = logits.SubView(0, half);
        if (Profile.Rows != RowVariant.GroupPerRow)
        {
            GuideLogits(logits, conditional, batch, queries, vocab, scale, temperature);
            SampleTokens(conditional, batch, queries, vocab, imageIndices, positions, step, seed, tokens, probabilities);
            return;
        }
        if (!(temperature > 0f))
            throw new ArgumentException($"GuideAndSample: temperature {temperature} must be positive");
        Require(imageIndices, batch, "GuideAndSample imageIndices");
        Require(positions, queries, "GuideAndSample positions");
        Require(tokens, batch * queries, "GuideAndSample tokens");
        if (half == 0)
            return;
        groupSample ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            SamplingShape, RowLogits>(SamplingKernels.GroupSample);
        groupSample(new KernelConfig(batch * queries, RowGroup.Size), logits, imageIndices, positions, tokens,
            new SamplingShape(queries, vocab, step, seed), new RowLogits(half, scale, temperature));
        if (probabilities.Length > 0)
            ChosenProbabilities(logits, batch * queries, vocab, tokens, probabilities, new RowLogits(half, scale, temperature));
    }

    /// <summary>
    /// probabilities[r] = softmax(logits(r, :))[tokens[r]]: the probability of the token chosen for
    /// row r, with the logits read as <paramref name="logits"/> says (as they are in x by default,
    /// or guided from both halves). x: [rows, vocab] (or [2, rows, vocab]); tokens,
    /// probabilities: [rows].
    /// </summary>
    public void ChosenProbabilities(ArrayView<float> x, int rows, int vocab, ArrayView<int> tokens,
        ArrayView<float> probabilities, RowLogits logits = default)
    {
        RowsTimesVocab(rows, 1, vocab, "ChosenProbabilities");
        Require(x, (logits.Half == 0 ? 1L : 2L) * rows * vocab, "ChosenProbabilities x");
        Require(tokens, rows, "ChosenProbabilities tokens");
        Require(probabilities, rows, "ChosenProbabilities probabilities");
        if (rows == 0)
            return;
        if (Profile.Rows == RowVariant.GroupPerRow)
        {
            groupChosenProbability ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, RowLogits>(
                SamplingKernels.GroupChosenProbability);
            groupChosenProbability(new KernelConfig(rows, RowGroup.Size), x, tokens, probabilities, vocab, logits);
            return;
        }
        chosenProbability ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>,
            ArrayView<float>, int, RowLogits>(SamplingKernels.ChosenProbability, ImplicitGroupSize);
        chosenProbability(rows, x, tokens, probabilities, vocab, logits);
    }

    /// <summary>Checks that logits hold both guidance halves of half values each, indexable by an int.</summary>
    private static void RequireGuided(ArrayView<float> logits, int half, string op)
    {
        if (2L * half > int.MaxValue)
            throw new ArgumentException($"{op}: 2 x {half} logits are too many for one launch");
        Require(logits, 2L * half, $"{op} logits");
    }

    /// <summary>Checks that x holds rows * vocab values, vocab at least 1, and that an int indexes them.</summary>
    private static void RequireRows(ArrayView<float> x, int rows, int vocab, string op)
    {
        if (vocab < 1)
            throw new ArgumentException($"{op}: vocabulary of {vocab}; at least one token is needed");
        Require(x, (long)rows * vocab, $"{op} x");
    }

    /// <summary>batch * queries * vocab, which one launch must be able to index with an int.</summary>
    private static int RowsTimesVocab(int batch, int queries, int vocab, string op)
    {
        long n = (long)batch * queries * vocab;
        if (batch < 0 || queries < 0 || vocab < 1 || n > int.MaxValue)
            throw new ArgumentException($"{op}: shape [{batch}, {queries}, {vocab}] is invalid or too large for one launch");
        return (int)n;
    }
}
