using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

public class DecodingScheduleTests
{
    [Fact]
    public void MatchesTheFixtureStepShapes()
    {
        // Per-step query counts of the fixtures' logits (gen.step{s}.logits_raw, dimension 1),
        // produced by the official generate(): tiny = 64 tokens, 8 steps, arccos;
        // tiny-fp16 = 64 tokens, 5 steps, cosine.
        Assert.Equal([6, 5, 5, 6, 6, 7, 9, 20], DecodingSchedule.TokensPerStep(64, 8, SampleSchedule.Arccos));
        Assert.Equal([4, 9, 14, 18, 19], DecodingSchedule.TokensPerStep(64, 5, SampleSchedule.Cosine));
    }

    [Theory]
    [InlineData(256, 64, SampleSchedule.Arccos)]
    [InlineData(256, 32, SampleSchedule.Cosine)]
    [InlineData(256, 256, SampleSchedule.Arccos)]
    [InlineData(64, 1, SampleSchedule.Cosine)]
    [InlineData(1, 1, SampleSchedule.Arccos)]
    public void EveryStepPredictsAtLeastOneTokenAndTheStepsCoverTheImage(int length, int steps, SampleSchedule schedule)
    {
        int[] counts = DecodingSchedule.TokensPerStep(length, steps, schedule);
        Assert.Equal(steps, counts.Length);
        Assert.All(counts, c => Assert.True(c >= 1));
        Assert.Equal(length, counts.Sum());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void RejectsStepCountsOutsideOneToLength(int steps)
    {
        var e = Assert.Throws<InvalidParameterException>(() => DecodingSchedule.TokensPerStep(64, steps, SampleSchedule.Arccos));
        Assert.Equal(nameof(GenerationOptions.Steps), e.Parameter);
        Assert.Equal($"Steps {steps}: must be between 1 and 64 (the number of tokens)", e.Message);
    }

    [Fact]
    public void LinearGuidanceGrowsFromOneToTheScale()
    {
        Assert.Equal(1f + 3f * 6 / 64, DecodingSchedule.GuidanceScale(CfgSchedule.Linear, 4f, 6, 64));
        Assert.Equal(4f, DecodingSchedule.GuidanceScale(CfgSchedule.Linear, 4f, 64, 64));
        Assert.Equal(2.5f, DecodingSchedule.GuidanceScale(CfgSchedule.Constant, 2.5f, 6, 64));
    }
}
