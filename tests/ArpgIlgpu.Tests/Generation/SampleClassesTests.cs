using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>Each sampled image's class: a function of its index alone, balanced or uniform.</summary>
public class SampleClassesTests
{
    [Fact]
    public void BalancedTakesTheClassesInTurn()
    {
        SampleClasses classes = SampleClasses.Balanced([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 50);

        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], Enumerable.Range(0, 12).Select(classes.Of));
        Assert.Equal(7, classes.Of(49_997));
        Assert.All(Enumerable.Range(0, 50).GroupBy(classes.Of), g => Assert.Equal(5, g.Count()));
        Assert.Equal([5, 9, 5], Enumerable.Range(0, 3).Select(SampleClasses.Balanced([5, 9], 4).Of));
    }

    [Theory]
    [InlineData(25, "20 or 30")]
    [InlineData(7, "10")]
    public void BalancedNeedsAMultipleOfTheClasses(int count, string suggestion)
    {
        var e = Assert.Throws<InvalidParameterException>(() => SampleClasses.Balanced(Enumerable.Range(0, 10).ToArray(), count));
        Assert.Equal(("count", $"{count}"), (e.Parameter, e.Value));
        Assert.Contains(suggestion, e.Message);
    }

    [Fact]
    public void UniformDrawsEveryLabelAboutEquallyOftenAndDependsOnlyOnSeedAndIndex()
    {
        int[] labels = [3, 14, 15, 92, 65];
        SampleClasses a = SampleClasses.Uniform(labels, seed: 7);
        int[] drawn = Enumerable.Range(0, 10_000).Select(a.Of).ToArray();

        Assert.All(drawn, c => Assert.Contains(c, labels));
        // 2000 expected per label; a binomial's standard deviation is 40, so 1800..2200 is 5 sigma
        Assert.All(drawn.GroupBy(c => c), g => Assert.InRange(g.Count(), 1800, 2200));
        Assert.Equal(drawn, Enumerable.Range(0, 10_000).Select(SampleClasses.Uniform(labels, seed: 7).Of));
        Assert.Equal(drawn[1234], a.Of(1234)); // no state: any order of asking gives the same class
        Assert.NotEqual(drawn, Enumerable.Range(0, 10_000).Select(SampleClasses.Uniform(labels, seed: 8).Of));
    }
}
