using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// The row reductions (RMSNorm, argmax, the draw, top-k, top-p; both variants of the profile
/// table) at row lengths around the group size of 256 and the vocabulary of 16384, against the
/// double-precision references. Rows hold logits rounded to quarters (so that ties are common),
/// filtered -inf entries and one row of all-equal logits.
/// </summary>
public class RowReductionTests
{
    private static readonly int[] Lengths = [1, 63, 64, 65, 255, 256, 257, 16384];

    /// <summary>(rows, length): every length with 1 and 5 rows.</summary>
    public static IEnumerable<object[]> Shapes() =>
        from length in Lengths from rows in new[] { 1, 5 } select new object[] { rows, length };

    /// <summary>
    /// Every length once, 1 to 5 rows, a single row of 16384: the simulators run each group's 256
    /// threads as OS threads, which meet at every barrier.
    /// </summary>
    public static IEnumerable<object[]> SimulatorShapes() =>
        new (int Rows, int Length)[] { (5, 1), (1, 63), (2, 64), (1, 65), (1, 255), (5, 256), (1, 257), (1, 16384) }
            .Select(s => new object[] { s.Rows, s.Length });

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes)), OpenClGpuCases(nameof(Shapes)),
     SimulatorCases(nameof(SimulatorShapes))]
    public void RmsNormMatchesReferenceApartAndInPlace(string backend, int rows, int dim)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(rows * 100_000 + dim);
        float[] x = TestData.Normal(rng, rows * dim, 3f), w = TestData.Normal(rng, dim);
        float[] expected = RmsNormReference.Normalize(x, w, 1e-5f, rows, dim);
        using var tx = Tensor<float>.FromArray(device, x, rows, dim);
        using var tw = Tensor<float>.FromArray(device, w, dim);
        using var ty = new Tensor<float>(device, rows, dim);
        device.Ops.RmsNorm(tx.View, tw.View, 1e-5f, ty.View, rows, dim);
        device.Ops.RmsNorm(tx.View, tw.View, 1e-5f, tx.View, rows, dim);
        TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-5f, atol: 1e-6f, $"rmsnorm {rows}x{dim}");
        TestData.AssertClose(expected, tx.ToArray(), rtol: 1e-5f, atol: 1e-6f, $"rmsnorm {rows}x{dim} in place");
    }

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes)), OpenClGpuCases(nameof(Shapes)),
     SimulatorCases(nameof(SimulatorShapes))]
    public void ArgmaxTakesTheReferenceIndexAlsoAfterGuidance(string backend, int rows, int vocab)
    {
        ComputeDevice device = TestDevices.Get(backend);
        // -inf only in the conditional half: guidance keeps it -inf (both -inf would give NaN)
        float[] cond = Logits(rows, vocab, seed: 1), uncond = Logits(rows, vocab, seed: 2, filtered: false);
        const float scale = 4f; // quarters times 4: the guided logits are exact in float32
        var expected = new int[rows];
        var expectedGuided = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            expected[r] = SamplingReference.Argmax(Row(cond, r, vocab));
            expectedGuided[r] = SamplingReference.Argmax(Row(cond, r, vocab)
                .Select((c, v) => (float)SamplingReference.Guide(c, uncond[r * vocab + v], scale, 1f)).ToArray());
        }

        using var x = Tensor<float>.FromArray(device, cond, rows, vocab);
        using var tokens = new Tensor<int>(device, rows);
        device.Ops.Argmax(x.View, rows, vocab, tokens.View);
        Assert.Equal(expected, tokens.ToArray());

        using var both = Tensor<float>.FromArray(device, [.. cond, .. uncond], 2 * rows, vocab);
        device.Ops.GuideAndArgmax(both.View, rows, 1, vocab, scale, tokens.View);
        Assert.Equal(expectedGuided, tokens.ToArray());
    }

    /// <summary>
    /// Each row's token is the inverse-CDF draw of the reference softmax at the row's Philox
    /// uniform u. The kernels sum in float32 in their own order, so the token must be one whose
    /// interval of the reference CDF lies within 3e-5 of u (the exact one wherever u is farther
    /// than that from every boundary), and never a filtered one.
    /// </summary>
    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes)), OpenClGpuCases(nameof(Shapes)),
     SimulatorCases(nameof(SimulatorShapes))]
    public void DrawsTheReferenceTokenAtThePhiloxUniformAlsoAfterGuidance(string backend, int rows, int vocab)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int step = 5;
        const ulong seed = 0xfeed_5eed;
        const float scale = 4f, temperature = 0.75f;
        float[] cond = Logits(rows, vocab, seed: 3), uncond = Logits(rows, vocab, seed: 4, filtered: false);
        int[] images = Enumerable.Range(10, rows).ToArray(), positions = Enumerable.Range(0, rows).Select(q => 3 * q).ToArray();
        using var imageIndices = Tensor<int>.FromArray(device, images, rows);
        using var queryPositions = Tensor<int>.FromArray(device, positions, rows);
        using var tokens = new Tensor<int>(device, rows);

        // rows = 1 image x `rows` queries: image 10, positions 0, 3, 6, ...
        using var x = Tensor<float>.FromArray(device, cond, rows, vocab);
        device.Ops.SampleTokens(x.View, 1, rows, vocab, imageIndices.View, queryPositions.View, step, seed, tokens.View);
        int[] drawn = tokens.ToArray();
        for (int r = 0; r < rows; r++)
            AssertDrawn(Row(cond, r, vocab), Philox.Uniform(seed, 10, step, (uint)positions[r], Philox.TokenStream), drawn[r], r);

        // rows = `rows` images x 1 query: images 10, 11, ..., position 0
        using var both = Tensor<float>.FromArray(device, [.. cond, .. uncond], 2 * rows, vocab);
        device.Ops.GuideAndSample(both.View, rows, 1, vocab, scale, temperature, imageIndices.View, queryPositions.View,
            step, seed, tokens.View);
        drawn = tokens.ToArray();
        for (int r = 0; r < rows; r++)
        {
            float[] guided = Row(cond, r, vocab)
                .Select((c, v) => (float)SamplingReference.Guide(c, uncond[r * vocab + v], scale, temperature)).ToArray();
            AssertDrawn(guided, Philox.Uniform(seed, (uint)images[r], step, 0, Philox.TokenStream), drawn[r], r);
        }
    }

    /// <summary>(rows, length, top-k, top-p): every shape with k = 1, 2, V alone, p = 0.1, 0.9 alone and after k = 2.</summary>
    public static IEnumerable<object[]> FilterCases() =>
        from shape in Shapes()
        let vocab = (int)shape[1]
        from filter in new (int K, float P)[] { (1, 1f), (2, 1f), (vocab, 1f), (0, 0.1f), (0, 0.9f), (2, 0.9f) }.Distinct()
        select new object[] { shape[0], vocab, filter.K, filter.P };

    /// <summary>A few of <see cref="FilterCases"/>, each length once: a top-p row meets at over 100 barriers.</summary>
    public static IEnumerable<object[]> SimulatorFilterCases() =>
        new (int Rows, int Length, int K, float P)[]
        {
            (5, 1, 1, 1f), (1, 63, 2, 1f), (2, 64, 0, 0.9f), (1, 65, 2, 0.9f), (1, 255, 0, 0.1f), (1, 256, 256, 1f),
            (1, 257, 2, 1f), (1, 257, 0, 0.9f),
        }.Select(c => new object[] { c.Rows, c.Length, c.K, c.P });

    /// <summary>
    /// Top-k keeps exactly the reference set. Top-p's set depends on sums that lie within float32
    /// rounding of p on some rows, so the kept set must lie between the reference sets for p - 2e-5
    /// and p + 2e-5 (equal to the reference wherever no cumulative probability is that close to p).
    /// Kept logits come back unchanged, bit for bit.
    /// </summary>
    [Theory, CpuCases(nameof(FilterCases)), OpenClCases(nameof(FilterCases)),
     OpenClGpuCases(nameof(FilterCases)), SimulatorCases(nameof(SimulatorFilterCases))]
    public void FiltersKeepTheReferenceSet(string backend, int rows, int vocab, int topK, float topP)
    {
        ComputeDevice device = TestDevices.Get(backend);
        float[] logits = Logits(rows, vocab, seed: 5);
        using var x = Tensor<float>.FromArray(device, logits, rows, vocab);
        if (topK > 0)
            device.Ops.TopKFilter(x.View, rows, vocab, topK);
        if (topP < 1f)
            device.Ops.TopPFilter(x.View, rows, vocab, topP);
        float[] filtered = x.ToArray();
        for (int r = 0; r < rows; r++)
        {
            float[] row = Row(logits, r, vocab);
            bool[] fewest = SamplingReference.Kept(row, topK, topP < 1f ? topP - 2e-5f : 1f);
            bool[] most = SamplingReference.Kept(row, topK, topP < 1f ? topP + 2e-5f : 1f);
            // a -inf logit stays -inf whether the reference counts it as kept (k = V) or not
            for (int j = 0; j < vocab; j++)
            {
                float value = filtered[r * vocab + j];
                if (row[j] == float.NegativeInfinity)
                {
                    Assert.Equal(float.NegativeInfinity, value);
                    continue;
                }
                bool kept = value != float.NegativeInfinity;
                if (kept)
                    Assert.Equal(row[j], value);
                Assert.True(kept ? most[j] : !fewest[j], $"row {r}, logit {j} ({row[j]}): kept {kept}, against the reference");
            }
        }
    }

    /// <summary>Asserts that token is a possible draw at u from softmax(row): its CDF interval lies within 3e-5 of u.</summary>
    private static void AssertDrawn(float[] row, float u, int token, int r)
    {
        double[] p = SamplingReference.Softmax(row, row.Select(float.IsFinite).ToArray());
        Assert.InRange(token, 0, row.Length - 1);
        Assert.True(p[token] > 0, $"row {r}: drew the filtered token {token}");
        double before = p.Take(token).Sum();
        const double tolerance = 3e-5;
        Assert.True(before - tolerance <= u && u < before + p[token] + tolerance,
            $"row {r}: token {token} covers [{before}, {before + p[token]}), u = {u}; the reference draws {SamplingReference.Draw(p, u)}");
    }

    /// <summary>
    /// rows x vocab logits: normal of scale 2 rounded to quarters, every 7th -inf when filtered
    /// (never a whole row), and row 3 all equal.
    /// </summary>
    private static float[] Logits(int rows, int vocab, int seed, bool filtered = true)
    {
        float[] x = TestData.Normal(new Random(seed * 1_000_003 + rows * 1000 + vocab), rows * vocab, 2f)
            .Select(v => MathF.Round(v * 4) / 4).ToArray();
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < vocab; v++)
                if (r == 3)
                    x[r * vocab + v] = 0.5f;
                else if (filtered && v % 7 == 6)
                    x[r * vocab + v] = float.NegativeInfinity;
        return x;
    }

    private static float[] Row(float[] x, int r, int n) => x.AsSpan(r * n, n).ToArray();
}
