using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>ImageNet class names on the command line: `arpg classes [WORD]` and names in --classes.</summary>
public class ClassesCliTests
{
    [Fact]
    public void ListsEveryClassOnePerLine()
    {
        CliResult result = CliInvocation.Run("classes");

        Assert.True(result.ExitCode == 0, result.Error);
        string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1000, lines.Length);
        Assert.Equal("  0 tench, Tinca tinca", lines[0]);
        Assert.Equal("207 golden retriever", lines[207]);
        Assert.Equal("999 toilet tissue, toilet paper, bathroom tissue", lines[999]);
    }

    [Fact]
    public void SearchesTheNames()
    {
        CliResult result = CliInvocation.Run("classes", "Retriever");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["205 flat-coated retriever", "206 curly-coated retriever", "207 golden retriever",
            "208 Labrador retriever", "209 Chesapeake Bay retriever"], result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void ASearchWithoutMatchesIsBadInputWithTheClosestNames()
    {
        CliResult result = CliInvocation.Run("classes", "volcanoe");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: no ImageNet class name contains 'volcanoe' (closest: 980 volcano;", result.Error);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void ANumberPastTheClassesIsBadInput()
    {
        CliResult result = CliInvocation.Run("classes", "1000");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: class 1000: ImageNet classes are 0..999", result.Error);
    }

    [Theory]
    [InlineData("golden retreiver,volcano", "error: --classes: 'golden retreiver' is not an ImageNet class name (closest: 207 golden retriever;")]
    [InlineData("207,crane", "error: --classes: 'crane' names several ImageNet classes (134 crane; 517 crane): give the number")]
    [InlineData("207,,980", "error: --classes '207,,980': an empty entry")]
    public void AnUnknownOrSharedNameIsBadInputAndWritesNothing(string classes, string expected)
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run("generate", "--model", "tiny-random", "--classes", classes,
            "--steps", "2", "--device", "cpu", "--out", dir.File("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Empty(dir.Files());
    }
}
