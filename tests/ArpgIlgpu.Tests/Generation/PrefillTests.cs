using ArpgIlgpu.Generation;
using ArpgIlgpu.Kernels;
using ArpgIlgpu.Models;
using ILGPU.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>
/// Prefill is exactly the training forward: pre-filling the class and the first k tokens of a
/// scoring order, then asking pass 2 for the next position, gives the official teacher-forced
/// logits of row k (fixtures README tolerance, 1e-3 + 1e-3|b|).
/// </summary>
public class PrefillTests
{
    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames))]
    public void PrefilledPredictionEqualsTheTeacherForcedLogits(string backend, string fixture)
    {
        using var f = new FixtureSet(fixture);
        using ArpgTransformer model = f.LoadTransformer(TestDevices.Get(backend));
        int[][] tokens = f.IntRows("score.tokens"), orders = f.IntRows("score.orders");
        int[] classes = f.Ints("score.classes");
        int length = f.Arpg.BlockSize, vocab = f.Arpg.VocabSize;
        float[] expected = f.Floats("score.logits"); // [B2, L, V]

        for (int b = 0; b < classes.Length; b++)
            foreach (int k in new[] { 1, length / 2, length - 1 })
            {
                using DecodeState state = model.CreateState(1, k + 1, 1);
                Prefill.Append(model, state, [f.Arpg.ClassTokenId(classes[b])], [tokens[b]], [orders[b][..k]]);
                state.SetQueries(1, [1 + orders[b][k]]);
                var logits = new float[vocab];
                model.Predict(state, AttentionMask.None).CopyToCPU(logits);
                TestData.AssertClose(expected.AsSpan(((b * length) + k) * vocab, vocab), logits, 1e-3f, 1e-3f,
                    $"sample {b}, {k} known");
            }
    }
}
