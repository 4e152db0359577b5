using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using ILGPU;

namespace ArpgIlgpu.Generation;

/// <summary>
/// Turns one step's logits into tokens on the device, as the official <c>generate()</c> does
/// after the forward pass: classifier-free guidance, temperature, top-k, top-p, softmax and one
/// multinomial draw per (image, query); temperature 0 takes the argmax instead. The logits never
/// leave the device; only the B*m sampled ids are meant to be copied back.
/// <para>
/// The sampler needs no scratch memory: guidance is either computed on the fly by the draw or
/// argmax (<see cref="Ops.GuideAndSample"/>, <see cref="Ops.GuideAndArgmax"/>) or written over the
/// conditional half of the logits buffer, where the filters then work in place, so nothing is
/// allocated, per step or at all.
/// </para>
/// </summary>
public sealed class TokenSampler
{
    private readonly ComputeDevice device;
    private readonly int vocab;

    /// <summary>Binds validated settings to a device, for logits over <paramref name="vocabSize"/> codes.</summary>
    /// <exception cref="InvalidInputException">A setting is out of range (the message names its option).</exception>
    public TokenSampler(ComputeDevice device, SamplingSettings settings, int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        settings.Validate();
        this.device = device;
        Settings = settings;
        vocab = vocabSize;
    }

    /// <summary>The settings every draw uses.</summary>
    public SamplingSettings Settings { get; }

    /// <summary>
    /// Samples the tokens of one step.
    /// logits: [2 * batch, queries, V], the conditional rows first (the head's output for the
    /// step's queries); its first half may be overwritten with the guided, filtered logits.
    /// positions: [queries], the grid position each query predicts; imageIndices: [batch], each
    /// image's index in the user's request; tokens: [batch, queries], written with code ids.
    /// The draw for (image, query) is Philox(seed; imageIndices[b], step, positions[q]), so it
    /// depends on neither the batch size nor the other images.
    /// probabilities: [batch, queries] or empty (the default: nothing extra is computed); when
    /// given, the probability the draw gave each chosen token, after guidance, temperature and the
    /// filters (greedy decoding: under the softmax of the guided logits).
    /// </summary>
    public void Sample(ArrayView<float> logits, int batch, int queries, float guidanceScale, int step,
        ArrayView<int> positions, ArrayView<int> imageIndices, ArrayView<int> tokens, ArrayView<float> probabilities = default)
    {
        Ops ops = device.Ops;
        int rows = checked(batch * queries);
        if (logits.Length < 2L * rows * vocab)
            throw new ArgumentException(
                $"TokenSampler: logits hold {logits.Length} values, [2 * {batch}, {queries}, {vocab}] needs {2L * rows * vocab}");
        if (Settings.IsGreedy)
        {
            ops.GuideAndArgmax(logits, batch, queries, vocab, guidanceScale, tokens, probabilities);
            return;
        }
        // top_k >= V keeps every token (the official code clamps k to V).
        bool topK = Settings.TopK > 0 && Settings.TopK < vocab, topP = Settings.TopP < 1f;
        if (!topK && !topP)
        {
            ops.GuideAndSample(logits, batch, queries, vocab, guidanceScale, Settings.TemperatureDivisor,
                imageIndices, positions, step, Settings.Seed, tokens, probabilities);
            return;
        }
        // The filters work on the guided logits in place: guidance first, over the conditional half.
        ArrayView<float> guided = logits.SubView(0, (long)rows * vocab);
        ops.GuideLogits(logits, guided, batch, queries, vocab, guidanceScale, Settings.TemperatureDivisor);
        if (topK)
            ops.TopKFilter(guided, rows, vocab, Settings.TopK);
        if (topP)
            ops.TopPFilter(guided, rows, vocab, Settings.TopP);
        ops.SampleTokens(guided, batch, queries, vocab, imageIndices, positions, step, Settings.Seed, tokens, probabilities);
    }
}
