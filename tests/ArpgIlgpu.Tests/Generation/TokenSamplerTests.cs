using ArpgIlgpu.Generation;
using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>
/// The whole step, guidance to token, against a host version of the official generate()'s
/// sampling: guided = u + (c - u) * scale, / max(temperature, 1e-5), top_k_top_p_filtering,
/// softmax, then the inverse-CDF draw at the Philox uniform of (seed; image, step, position).
/// </summary>
public class TokenSamplerTests
{
    public static IEnumerable<object[]> InvalidSettings() =>
    [
        [-0.5f, 0, 1f, nameof(SamplingSettings.Temperature)],
        [float.NaN, 0, 1f, nameof(SamplingSettings.Temperature)],
        [float.PositiveInfinity, 0, 1f, nameof(SamplingSettings.Temperature)],
        [1f, -1, 1f, nameof(SamplingSettings.TopK)],
        [1f, 0, 0f, nameof(SamplingSettings.TopP)],
        [1f, 0, -0.2f, nameof(SamplingSettings.TopP)],
        [1f, 0, 1.5f, nameof(SamplingSettings.TopP)],
        [1f, 0, float.NaN, nameof(SamplingSettings.TopP)],
    ];

    [Theory, MemberData(nameof(InvalidSettings))]
    public void InvalidSettingsNameTheirParameter(float temperature, int topK, float topP, string parameter)
    {
        var settings = new SamplingSettings { Temperature = temperature, TopK = topK, TopP = topP };
        var e = Assert.Throws<InvalidParameterException>(settings.Validate);
        Assert.Equal(parameter, e.Parameter);
        e = Assert.Throws<InvalidParameterException>(() => new TokenSampler(TestDevices.Get("cpu"), settings, 16));
        Assert.Equal(parameter, e.Parameter);
    }

    [Fact]
    public void BoundarySettingsAreValid()
    {
        new SamplingSettings { Temperature = 0f, TopK = 0, TopP = 1f }.Validate();
        new SamplingSettings { Temperature = 1e-9f, TopK = 100000, TopP = 1e-6f }.Validate();
    }

    public static IEnumerable<object[]> Pipelines() =>
    [
        // temperature, top-k, top-p, guidance scale
        [1f, 0, 1f, 4f],
        [0.7f, 5, 1f, 2.5f],
        [1.3f, 0, 0.8f, 3f],
        [0.9f, 8, 0.9f, 1.5f],
        [1f, 0, 1f, 1f],       // scale 1: the conditional logits alone
        [0f, 3, 0.5f, 4f],     // temperature 0: argmax of the guided logits; the filters do not matter
        [0f, 0, 1f, 1f],       // argmax of the conditional logits
    ];

    [Theory, CpuCases(nameof(Pipelines)), OpenClCases(nameof(Pipelines)), OpenClGpuCases(nameof(Pipelines)), SimulatorCases(nameof(Pipelines))]
    public void SamplesWhatTheOfficialStepSamples(string backend, float temperature, int topK, float topP, float scale)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 2, queries = 3, vocab = 37, step = 4;
        int[] images = [6, 1];
        int[] positions = [12, 0, 40];
        var settings = new SamplingSettings { Temperature = temperature, TopK = topK, TopP = topP, Seed = 31337 };
        float[] logits = TestData.Normal(new Random(topK + (int)(10 * scale)), 2 * batch * queries * vocab, 2f);

        int[] expected = Reference(logits, batch, queries, vocab, scale, settings, step, positions, images);
        Assert.Equal(expected, Sample(device, settings, logits, batch, queries, vocab, scale, step, positions, images));
    }

    /// <summary>Image b's tokens do not change when it is sampled alone (batch 1, its own index).</summary>
    [Theory, Cpu, OpenCl]
    public void AnImageSamplesTheSameAloneAsInABatch(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 3, queries = 4, vocab = 21, step = 9;
        int[] images = [2, 0, 7];
        int[] positions = [3, 8, 1, 15];
        var settings = new SamplingSettings { Temperature = 1.1f, TopK = 12, TopP = 0.95f, Seed = 5 };
        float[] logits = TestData.Normal(new Random(21), 2 * batch * queries * vocab, 2f);
        int[] together = Sample(device, settings, logits, batch, queries, vocab, 3f, step, positions, images);

        int rowBlock = queries * vocab;
        for (int b = 0; b < batch; b++)
        {
            float[] alone = [.. logits.AsSpan(b * rowBlock, rowBlock), .. logits.AsSpan((batch + b) * rowBlock, rowBlock)];
            int[] tokens = Sample(device, settings, alone, 1, queries, vocab, 3f, step, positions, [images[b]]);
            Assert.Equal(together.AsSpan(b * queries, queries).ToArray(), tokens);
        }
    }

    private static int[] Sample(ComputeDevice device, SamplingSettings settings, float[] logits, int batch, int queries,
        int vocab, float scale, int step, int[] positions, int[] images)
    {
        using var tLogits = Tensor<float>.FromArray(device, logits, 2 * batch, queries, vocab);
        using var tPositions = Tensor<int>.FromArray(device, positions, queries);
        using var tImages = Tensor<int>.FromArray(device, images, batch);
        using var tokens = new Tensor<int>(device, batch, queries);
        new TokenSampler(device, settings, vocab).Sample(tLogits.View, batch, queries, scale, step,
            tPositions.View, tImages.View, tokens.View);
        return tokens.ToArray();
    }

    /// <summary>
    /// The official step on the host, row by row, in double precision. Asserts that no decision is
    /// closer to its boundary than float32 rounding could move it (else the case proves nothing).
    /// </summary>
    private static int[] Reference(float[] logits, int batch, int queries, int vocab, float scale,
        SamplingSettings s, int step, int[] positions, int[] images)
    {
        int half = batch * queries * vocab;
        var tokens = new int[batch * queries];
        for (int b = 0; b < batch; b++)
        for (int q = 0; q < queries; q++)
        {
            int r = b * queries + q;
            var guided = new float[vocab];
            for (int v = 0; v < vocab; v++)
            {
                float c = logits[r * vocab + v], u = logits[half + r * vocab + v];
                // Scale 1 is the conditional model alone.
                guided[v] = scale == 1f ? c : (float)SamplingReference.Guide(c, u, scale, 1f);
                if (!s.IsGreedy)
                    guided[v] = (float)(guided[v] / (double)Math.Max(s.Temperature, 1e-5f));
            }
            if (s.IsGreedy)
            {
                float[] sorted = guided.OrderDescending().ToArray();
                Assert.True(sorted[0] - sorted[1] > 1e-3f, $"row {r}: near-tie for the argmax; change the seed");
                tokens[r] = Array.IndexOf(guided, sorted[0]);
                continue;
            }
            if (s.TopP < 1f)
                Assert.True(SamplingReference.TopPMargin(guided, s.TopK, s.TopP) > 1e-5, $"row {r}: top-p borderline");
            double[] p = SamplingReference.Softmax(guided, SamplingReference.Kept(guided, s.TopK, s.TopP));
            float draw = Philox.Uniform(s.Seed, (uint)images[b], (uint)step, (uint)positions[q], Philox.TokenStream);
            tokens[r] = SamplingReference.Draw(p, draw, out double margin);
            Assert.True(margin > 1e-5, $"row {r}: draw within {margin} of a boundary; change the seed");
        }
        return tokens;
    }
}
