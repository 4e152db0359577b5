using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>The self-test's comparisons fail where they must: perturbed logits, a NaN, a token that is no near tie.</summary>
public class SelfTestTests
{
    private static readonly float[] Logits = [0.5f, -2f, 3f, 10f, -0.25f, 1f];

    [Fact]
    public void EqualLogitsMatch()
    {
        SelfTestRow row = SelfTest.Compare("logits", Logits, Logits, SelfTest.LogitTolerance);
        Assert.True(row.Ok);
        Assert.Equal(("-", 0.0), (row.Worst, row.MaxAbsError));
    }

    [Fact]
    public void ErrorsWithinTheToleranceMatch()
    {
        // 10 may be off by 1e-3 + 1e-2
        float[] close = (float[])Logits.Clone();
        close[3] += 0.0105f;
        Assert.True(SelfTest.Compare("logits", close, Logits, SelfTest.LogitTolerance).Ok);
    }

    [Fact]
    public void PerturbedLogitsFailAtThePerturbedIndex()
    {
        float[] perturbed = (float[])Logits.Clone();
        perturbed[4] += 0.01f;
        SelfTestRow row = SelfTest.Compare("logits", perturbed, Logits, SelfTest.LogitTolerance, "cross0");
        Assert.False(row.Ok);
        Assert.Equal("cross0[4]", row.Worst);
        Assert.Equal(0.01, row.MaxAbsError, 1e-6);
        Assert.Contains("FAIL", SelfTest.Format([row]));
    }

    [Fact]
    public void NaNAndWrongLengthsFail()
    {
        float[] nan = (float[])Logits.Clone();
        nan[1] = float.NaN;
        SelfTestRow row = SelfTest.Compare("logits", nan, Logits, SelfTest.LogitTolerance);
        Assert.False(row.Ok);
        Assert.Equal("[1]", row.Worst);
        Assert.False(SelfTest.Compare("logits", Logits[..5], Logits, SelfTest.LogitTolerance).Ok);
    }

    [Fact]
    public void ADifferentTokenFailsUnlessItIsANearTie()
    {
        // two rows of vocabulary 3: row 0's best is 2 (3 vs 0.5); row 1's are 10 and 10.001
        float[] logits = [0.5f, -2f, 3f, 10f, -0.25f, 10.001f];
        Assert.True(SelfTest.CompareTokens("tokens", [2, 2], [2, 2], logits, 3).Ok);
        Assert.True(SelfTest.CompareTokens("tokens", [2, 0], [2, 2], logits, 3).Ok);
        SelfTestRow wrong = SelfTest.CompareTokens("tokens", [0, 2], [2, 2], logits, 3);
        Assert.False(wrong.Ok);
        Assert.Equal("[0]", wrong.Worst);
    }
}
