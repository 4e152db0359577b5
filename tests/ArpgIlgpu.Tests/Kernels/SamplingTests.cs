using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>Guidance, argmax and the softmax draw, against scalar references.</summary>
public class SamplingTests
{
    public static IEnumerable<object[]> GuideShapes() =>
        new[] { (2, 3, 37), (1, 1, 64), (3, 5, 13), (1, 2, 1) }.Select(s => new object[] { s.Item1, s.Item2, s.Item3 });

    [Theory, CpuCases(nameof(GuideShapes)), OpenClCases(nameof(GuideShapes))]
    public void GuideMatchesReferenceInPlaceAndApart(string backend, int batch, int queries, int vocab)
    {
        ComputeDevice device = TestDevices.Get(backend);
        int half = batch * queries * vocab;
        float[] logits = TestData.Normal(new Random(half), 2 * half, scale: 3f);
        const float scale = 4f, temperature = 0.7f;
        var expected = new float[half];
        for (int i = 0; i < half; i++)
            expected[i] = (float)SamplingReference.Guide(logits[i], logits[i + half], scale, temperature);

        using var input = Tensor<float>.FromArray(device, logits, 2 * batch, queries, vocab);
        using var apart = new Tensor<float>(device, batch, queries, vocab);
        device.Ops.GuideLogits(input.View, apart.View, batch, queries, vocab, scale, temperature);
        device.Ops.GuideLogits(input.View, input.Slice(0, half), batch, queries, vocab, scale, temperature);
        // Three float32 roundings (OpenCL C may also fuse the multiply-add) on values of ~10 that
        // cancel partly: an absolute floor of a few ulps of 10 besides the relative tolerance.
        TestData.AssertClose(expected, apart.ToArray(), rtol: 1e-4f, atol: 1e-5f, "guided");
        TestData.AssertClose(expected, input.ToArray().AsSpan(0, half), rtol: 1e-4f, atol: 1e-5f, "guided in place");
    }

    [Theory, Cpu, OpenCl]
    public void GuideWithScaleOneGivesTheConditionalLogits(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int rows = 4, vocab = 29;
        float[] logits = TestData.Normal(new Random(3), 2 * rows * vocab);
        using var input = Tensor<float>.FromArray(device, logits, 2 * rows, vocab);
        using var guided = new Tensor<float>(device, rows, vocab);
        device.Ops.GuideLogits(input.View, guided.View, rows, 1, vocab, scale: 1f, temperature: 1f);
        // u + (c - u) equals c up to the rounding of c - u: half an ulp of |c| + |u| < 8.
        TestData.AssertClose(logits.AsSpan(0, rows * vocab), guided.ToArray(), rtol: 0f, atol: 1e-6f, "scale 1");
    }

    [Theory, Cpu, OpenCl]
    public void ArgmaxTakesTheLowestIndexOfEqualMaxima(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        float inf = float.PositiveInfinity;
        float[][] rows =
        [
            [1, 5, 2, 5, 5],            // ties at 1, 3, 4 -> 1
            [7, 7, 7, 7, 7],            // all equal -> 0
            [-inf, -inf, -3, -inf, -3], // filtered entries and a tie -> 2
            [0, -0f, -1, 0, -2],        // +0 and -0 are equal -> 0
            [-1, -2, -3, -4, 9],        // last -> 4
        ];
        float[] flat = rows.SelectMany(r => r).ToArray();
        using var x = Tensor<float>.FromArray(device, flat, rows.Length, 5);
        using var tokens = new Tensor<int>(device, rows.Length);
        device.Ops.Argmax(x.View, rows.Length, 5, tokens.View);
        Assert.Equal([1, 0, 2, 0, 4], tokens.ToArray());
    }

    [Theory, Cpu, OpenCl]
    public void ArgmaxMatchesReferenceOnRandomRows(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        foreach ((int rows, int vocab) in new[] { (9, 37), (1, 1), (3, 100) })
        {
            // Logits rounded to 1/4 so that rows hold repeated maxima.
            float[] x = TestData.Normal(new Random(vocab), rows * vocab, 2f).Select(v => MathF.Round(v * 4) / 4).ToArray();
            var expected = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                float[] row = x.AsSpan(r * vocab, vocab).ToArray();
                expected[r] = Array.IndexOf(row, row.Max());
            }
            using var tx = Tensor<float>.FromArray(device, x, rows, vocab);
            using var tokens = new Tensor<int>(device, rows);
            device.Ops.Argmax(tx.View, rows, vocab, tokens.View);
            Assert.Equal(expected, tokens.ToArray());
        }
    }

    /// <summary>
    /// Each row's token is the inverse-CDF draw of the reference softmax at the row's Philox
    /// uniform, computed on the host (Philox itself is checked against Random123's known answers).
    /// </summary>
    [Theory, Cpu, OpenCl]
    public void SampleMatchesHostDrawsAtThePhiloxUniforms(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 3, queries = 5, vocab = 23, step = 7;
        const ulong seed = 0x1234_5678_9abc_def0;
        int[] images = [4, 0, 11];
        int[] positions = [17, 3, 255, 0, 100];
        float[] logits = TestData.Normal(new Random(11), batch * queries * vocab, 2f);
        for (int i = 5; i < logits.Length; i += 7)
            logits[i] = float.NegativeInfinity; // filtered tokens: never drawn

        var expected = new int[batch * queries];
        for (int b = 0; b < batch; b++)
        for (int q = 0; q < queries; q++)
        {
            int r = b * queries + q;
            float[] row = logits.AsSpan(r * vocab, vocab).ToArray();
            double[] p = SamplingReference.Softmax(row, row.Select(float.IsFinite).ToArray());
            float u = Philox.Uniform(seed, (uint)images[b], step, (uint)positions[q], Philox.TokenStream);
            expected[r] = SamplingReference.Draw(p, u, out double margin);
            // The kernel sums in float32: a u this close to a boundary would be decided by rounding.
            Assert.True(margin > 1e-5, $"row {r}: draw within {margin} of a boundary; pick another seed");
        }

        using var x = Tensor<float>.FromArray(device, logits, batch * queries, vocab);
        using var tokens = SampleTokens(device, x, batch, queries, vocab, images, positions, step, seed);
        Assert.Equal(expected, tokens.ToArray());
    }

    /// <summary>
    /// 100,000 draws from a fixed distribution over 10 tokens (plus one filtered token that must
    /// never appear), one launch of 1,000 images x 100 positions: Pearson's chi-square with
    /// 10 - 1 = 9 degrees of freedom must stay below 27.877, its 0.999 quantile (p = 0.001).
    /// </summary>
    [Theory, Cpu, OpenCl]
    public void DrawFrequenciesPassChiSquare(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        double[] probabilities = [0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005];
        const int filtered = 4;
        float[] row = new float[probabilities.Length + 1];
        for (int j = 0, k = 0; j < row.Length; j++)
            row[j] = j == filtered ? float.NegativeInfinity : (float)Math.Log(probabilities[k++]) + 1.5f;
        const int batch = 1000, queries = 100, vocab = 11;
        float[] logits = Enumerable.Repeat(row, batch * queries).SelectMany(r => r).ToArray();

        using var x = Tensor<float>.FromArray(device, logits, batch * queries, vocab);
        using var tokens = SampleTokens(device, x, batch, queries, vocab,
            Enumerable.Range(0, batch).ToArray(), Enumerable.Range(0, queries).ToArray(), step: 3, seed: 2024);

        var counts = new int[vocab];
        foreach (int t in tokens.ToArray())
            counts[t]++;
        Assert.Equal(0, counts[filtered]);
        int[] observed = counts.Where((_, j) => j != filtered).ToArray();
        double n = batch * queries, chiSquare = 0;
        for (int j = 0; j < probabilities.Length; j++)
            chiSquare += Math.Pow(observed[j] - n * probabilities[j], 2) / (n * probabilities[j]);
        Assert.True(chiSquare < 27.877, $"chi-square {chiSquare:F2} >= 27.877 (df 9, p = 0.001); counts {string.Join(",", observed)}");
    }

    /// <summary>An image's draws depend on its index in the request, not on the batch around it.</summary>
    [Theory, Cpu, OpenCl]
    public void AnImageDrawsTheSameAloneAsInABatch(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int queries = 4, vocab = 17, step = 2;
        int[] images = [8, 3, 5];
        int[] positions = [9, 1, 14, 6];
        float[] logits = TestData.Normal(new Random(5), images.Length * queries * vocab);
        using var all = Tensor<float>.FromArray(device, logits, images.Length * queries, vocab);
        int[] batched = SampleTokens(device, all, images.Length, queries, vocab, images, positions, step, 99).ToArray();
        for (int b = 0; b < images.Length; b++)
        {
            using var one = Tensor<float>.FromArray(device, logits.AsSpan(b * queries * vocab, queries * vocab), queries, vocab);
            int[] alone = SampleTokens(device, one, 1, queries, vocab, [images[b]], positions, step, 99).ToArray();
            Assert.Equal(batched.AsSpan(b * queries, queries).ToArray(), alone);
        }
    }

    /// <summary>Same seed, same logits: the same tokens on OpenCL as on the CPU accelerator.</summary>
    [Theory, OpenCl]
    public void OpenClDrawsWhatTheCpuDraws(string backend)
    {
        const int batch = 4, queries = 8, vocab = 50;
        int[] images = [0, 1, 2, 3];
        int[] positions = [0, 5, 10, 15, 20, 25, 30, 35];
        float[] logits = TestData.Normal(new Random(8), batch * queries * vocab, 1.5f);
        int[] Draw(ComputeDevice device)
        {
            using var x = Tensor<float>.FromArray(device, logits, batch * queries, vocab);
            using var tokens = SampleTokens(device, x, batch, queries, vocab, images, positions, 12, 777);
            return tokens.ToArray();
        }
        Assert.Equal(Draw(TestDevices.Get("cpu")), Draw(TestDevices.Get(backend)));
    }

    private static Tensor<int> SampleTokens(ComputeDevice device, Tensor<float> x, int batch, int queries, int vocab,
        int[] images, int[] positions, int step, ulong seed)
    {
        using var imageIndices = Tensor<int>.FromArray(device, images, batch);
        using var queryPositions = Tensor<int>.FromArray(device, positions, queries);
        var tokens = new Tensor<int>(device, batch, queries);
        device.Ops.SampleTokens(x.View, batch, queries, vocab, imageIndices.View, queryPositions.View, step, seed, tokens.View);
        return tokens;
    }
}
