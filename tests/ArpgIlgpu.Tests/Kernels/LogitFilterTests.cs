using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// Top-k and top-p keep exactly the tokens the official top_k_top_p_filtering keeps: hand-made
/// rows with ties (expected sets worked out by hand from torch's rules) and random rows against
/// <see cref="SamplingReference.Kept"/>.
/// </summary>
public class LogitFilterTests
{
    /// <summary>(row, top-k, top-p, kept indices), derived by hand from the official code.</summary>
    public static IEnumerable<object[]> HandMadeCases()
    {
        // top-k keeps every logit >= the k-th largest counted with multiplicity (logits < kth removed).
        yield return [new float[] { 3, 2, 2, 2, 1 }, 2, 1f, new[] { 0, 1, 2, 3 }];
        yield return [new float[] { 3, 2, 2, 2, 1 }, 1, 1f, new[] { 0 }];
        yield return [new float[] { 2, 2, 5, 2 }, 2, 1f, new[] { 0, 1, 2, 3 }];
        yield return [new float[] { 1, 1, 1 }, 2, 1f, new[] { 0, 1, 2 }];
        yield return [new float[] { 0, -0f, -1 }, 1, 1f, new[] { 0, 1 }];     // -0 == +0: a tie
        yield return [new float[] { 4, -1, 7 }, 9, 1f, new[] { 0, 1, 2 }];     // k > V is clamped to V
        yield return [new float[] { 5 }, 1, 1f, new[] { 0 }];
        // top-p: probabilities 1/4 each (exact in float32), cumsum 1/4, 1/2, 3/4, 1. Sorted position
        // j >= 1 goes when cumsum[j-1] > p: p = 1/2 keeps 3 (1/2 is not > 1/2), p = 0.4 keeps 2;
        // equal logits rank by index, so the lowest indices stay.
        yield return [new float[] { 1, 1, 1, 1 }, 0, 0.5f, new[] { 0, 1, 2 }];
        yield return [new float[] { 1, 1, 1, 1 }, 0, 0.4f, new[] { 0, 1 }];
        // Three tied 2s of p = e^2 / (3 e^2 + 1) = 0.319 each, then the 0 (0.043): cumsum 0.319,
        // 0.638, ...; p = 0.5 keeps ranks 0 and 1 = the two lowest indices of the tie group.
        yield return [new float[] { 2, 0, 2, 2 }, 0, 0.5f, new[] { 0, 2 }];
        // p = 0.3 < the top token's probability: only the top token is kept.
        yield return [new float[] { 2, 0, 2, 2 }, 0, 0.3f, new[] { 0 }];
        // top-k first (k = 2 keeps 9 and 8), then top-p over their renormalised softmax (0.731,
        // 0.269): p = 0.75 keeps both (8 is the first token past the threshold), p = 0.7 only 9.
        yield return [new float[] { 1, 9, 8, 0 }, 2, 0.75f, new[] { 1, 2 }];
        yield return [new float[] { 1, 9, 8, 0 }, 2, 0.7f, new[] { 1 }];
        // Without top-k: 9, 8, 1, 0 have 0.7308, 0.2689, 0.0002, 0.0001 (cumsum 0.7308, 0.9997, ...):
        // p = 0.9 keeps 9 and 8, p = 0.72 only 9.
        yield return [new float[] { 1, 9, 8, 0 }, 0, 0.9f, new[] { 1, 2 }];
        yield return [new float[] { 1, 9, 8, 0 }, 0, 0.72f, new[] { 1 }];
    }

    [Theory, CpuCases(nameof(HandMadeCases)), OpenClCases(nameof(HandMadeCases))]
    public void HandMadeRowsKeepTheOfficialSet(string backend, float[] row, int topK, float topP, int[] kept)
    {
        int[] reference = Indices(SamplingReference.Kept(row, topK, topP));
        Assert.Equal(kept, reference); // the reference agrees with the hand derivation
        Assert.Equal(kept, Indices(Filter(TestDevices.Get(backend), row, 1, row.Length, topK, topP, out _)));
    }

    public static IEnumerable<object[]> RandomCases()
    {
        foreach ((int rows, int vocab) in new[] { (6, 37), (3, 100), (4, 7), (2, 1) })
            foreach ((int topK, float topP) in new[] { (3, 1f), (1, 1f), (0, 0.9f), (0, 0.3f), (10, 0.8f), (200, 0.5f) })
                yield return [rows, vocab, topK, topP];
    }

    /// <summary>
    /// Random rows whose logits are rounded to quarters, so ties are common, against the reference.
    /// Kept logits must come back unchanged, bit for bit.
    /// </summary>
    [Theory, CpuCases(nameof(RandomCases)), OpenClCases(nameof(RandomCases))]
    public void RandomRowsKeepTheOfficialSet(string backend, int rows, int vocab, int topK, float topP)
    {
        float[] logits = TestData.Normal(new Random(rows * 1000 + vocab + topK), rows * vocab, 2f)
            .Select(v => MathF.Round(v * 4) / 4).ToArray();
        bool[] keptOnDevice = Filter(TestDevices.Get(backend), logits, rows, vocab, topK, topP, out float[] filtered);
        for (int r = 0; r < rows; r++)
        {
            float[] row = logits.AsSpan(r * vocab, vocab).ToArray();
            if (topP < 1f)
                // The kernels sum in float32: a cumulative probability within 1e-5 of p would be
                // decided by rounding. These seeds give no such row; a new case must not either.
                Assert.True(SamplingReference.TopPMargin(row, topK, topP) > 1e-5, $"row {r} is borderline; change the seed");
            bool[] expected = SamplingReference.Kept(row, topK, topP);
            Assert.Equal(Indices(expected), Indices(keptOnDevice.AsSpan(r * vocab, vocab).ToArray()));
            for (int j = 0; j < vocab; j++)
                if (expected[j])
                    Assert.Equal(row[j], filtered[r * vocab + j]);
        }
    }

    /// <summary>Runs top-k (when k &gt; 0) then top-p (when p &lt; 1) in place; returns which logits survived.</summary>
    private static bool[] Filter(ComputeDevice device, float[] logits, int rows, int vocab, int topK, float topP,
        out float[] filtered)
    {
        using var x = Tensor<float>.FromArray(device, logits, rows, vocab);
        if (topK > 0)
            device.Ops.TopKFilter(x.View, rows, vocab, topK);
        if (topP < 1f)
            device.Ops.TopPFilter(x.View, rows, vocab, topP);
        filtered = x.ToArray();
        return filtered.Select(v => v != float.NegativeInfinity).ToArray();
    }

    private static int[] Indices(bool[] keep) => Enumerable.Range(0, keep.Length).Where(j => keep[j]).ToArray();
}
