using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// <see cref="Ops.ChosenProbabilities"/>, both row variants: softmax(logits(r, :))[token r]
/// against a double-precision softmax, on plain logits (with filtered -inf entries) and guided on
/// the fly from both halves, at vocabulary sizes around the group's 256 threads.
/// </summary>
public class ChosenProbabilityTests
{
    public static IEnumerable<object[]> Shapes() =>
        new[] { (1, 1), (3, 63), (2, 64), (1, 65), (2, 256), (1, 257), (3, 300) }.Select(s => new object[] { s.Item1, s.Item2 });

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes)), OpenClGpuCases(nameof(Shapes)), SimulatorCases(nameof(Shapes))]
    public void IsTheSoftmaxAtTheChosenToken(string backend, int rows, int vocab)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(rows * 1000 + vocab);
        float[] logits = TestData.Normal(rng, 2 * rows * vocab, scale: 3f);
        for (int i = 0; i < rows * vocab; i += 3)
            if (i % vocab != 0)
                logits[i] = float.NegativeInfinity; // filtered, as top-k leaves them (never the whole row)
        int[] tokens = Enumerable.Range(0, rows).Select(r => r * 7 % vocab).ToArray();
        const float scale = 2.5f, temperature = 0.8f;

        using var x = Tensor<float>.FromArray(device, logits, 2 * rows, vocab);
        using var chosen = Tensor<int>.FromArray(device, tokens, rows);
        using var plain = new Tensor<float>(device, rows);
        using var guided = new Tensor<float>(device, rows);
        device.Ops.ChosenProbabilities(x.View, rows, vocab, chosen.View, plain.View);
        device.Ops.ChosenProbabilities(x.View, rows, vocab, chosen.View, guided.View, new RowLogits(rows * vocab, scale, temperature));

        var expectedPlain = new float[rows];
        var expectedGuided = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float[] row = logits[(r * vocab)..((r + 1) * vocab)];
            float[] rowGuided = Enumerable.Range(0, vocab)
                .Select(v => (float)SamplingReference.Guide(logits[r * vocab + v], logits[(rows + r) * vocab + v], scale, temperature))
                .ToArray();
            expectedPlain[r] = (float)SamplingReference.Softmax(row, row.Select(float.IsFinite).ToArray())[tokens[r]];
            expectedGuided[r] = (float)SamplingReference.Softmax(rowGuided, rowGuided.Select(float.IsFinite).ToArray())[tokens[r]];
        }
        TestData.AssertClose(expectedPlain, plain.ToArray(), rtol: 1e-5f, atol: 1e-7f, "plain");
        TestData.AssertClose(expectedGuided, guided.ToArray(), rtol: 1e-5f, atol: 1e-7f, "guided");
    }
}
