using ArpgIlgpu.Generation;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>
/// The probabilities <see cref="TokenSampler.Sample"/> reports are those of the draw: the softmax
/// of the guided, tempered logits over the tokens the filters kept, at the chosen token (greedy:
/// the softmax of the guided logits), recomputed on the host; and asking for them changes no token.
/// </summary>
public class SampledProbabilityTests
{
    public static IEnumerable<object[]> Settings() =>
    [
        // temperature, top-k, top-p, guidance scale
        [1f, 0, 1f, 4f],
        [0.7f, 5, 1f, 2.5f],
        [1.3f, 0, 0.8f, 3f],
        [0f, 0, 1f, 2f],
    ];

    [Theory, CpuCases(nameof(Settings)), OpenClCases(nameof(Settings)), OpenClGpuCases(nameof(Settings))]
    public void AreTheDrawsProbabilities(string backend, float temperature, int topK, float topP, float scale)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 2, queries = 3, vocab = 70, step = 2;
        var settings = new SamplingSettings { Temperature = temperature, TopK = topK, TopP = topP, Seed = 99 };
        float[] logits = TestData.Normal(new Random(topK + (int)(10 * scale)), 2 * batch * queries * vocab, 2f);
        (int[] plain, _) = Sample(device, settings, logits, batch, queries, vocab, scale, step, withProbabilities: false);
        (int[] tokens, float[] probabilities) = Sample(device, settings, logits, batch, queries, vocab, scale, step, withProbabilities: true);

        Assert.Equal(plain, tokens);
        int half = batch * queries * vocab;
        for (int r = 0; r < batch * queries; r++)
        {
            float[] guided = Enumerable.Range(0, vocab).Select(v => (float)SamplingReference.Guide(logits[r * vocab + v],
                logits[half + r * vocab + v], scale, settings.IsGreedy ? 1f : settings.TemperatureDivisor)).ToArray();
            bool[] kept = settings.IsGreedy ? Enumerable.Repeat(true, vocab).ToArray() : SamplingReference.Kept(guided, topK, topP);
            double expected = SamplingReference.Softmax(guided, kept)[tokens[r]];
            Assert.InRange(probabilities[r], expected * (1 - 1e-4) - 1e-7, expected * (1 + 1e-4) + 1e-7);
        }
    }

    private static (int[] Tokens, float[] Probabilities) Sample(ComputeDevice device, SamplingSettings settings, float[] logits,
        int batch, int queries, int vocab, float scale, int step, bool withProbabilities)
    {
        using var tLogits = Tensor<float>.FromArray(device, logits, 2 * batch, queries, vocab);
        using var positions = Tensor<int>.FromArray(device, [5, 0, 9], queries);
        using var images = Tensor<int>.FromArray(device, [3, 1], batch);
        using var tokens = new Tensor<int>(device, batch, queries);
        using var probabilities = new Tensor<float>(device, batch, queries);
        new TokenSampler(device, settings, vocab).Sample(tLogits.View, batch, queries, scale, step, positions.View, images.View,
            tokens.View, withProbabilities ? probabilities.View : default);
        return (tokens.ToArray(), probabilities.ToArray());
    }
}
