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
/// The token sampler's kernels: classifier-free guidance, argmax, and a draw from the softmax of a
/// row (top-k and top-p filtering are in LogitFilters.cs). Each is barrier-free: one thread per
/// element or per row, a row scanned sequentially, so the CPU accelerator runs them as they are.
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
    /// tokens: [batch * queries].
    /// </summary>
    public void SampleTokens(ArrayView<float> x, int batch, int queries, int vocab, ArrayView<int> imageIndices,
        ArrayView<int> positions, int step, ulong seed, ArrayView<int> tokens)
    {
        int rows = checked(batch * queries);
        RequireRows(x, rows, vocab, "SampleTokens");
        Require(imageIndices, batch, "SampleTokens imageIndices");
        Require(positions, queries, "SampleTokens positions");
        Require(tokens, rows, "SampleTokens tokens");
        if (rows == 0)
            return;
        sample ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, SamplingShape>(SamplingKernels.Sample, ImplicitGroupSize);
        sample(rows, x, imageIndices, positions, tokens, new SamplingShape(queries, vocab, step, seed));
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
