using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Samples;

/// <summary>samples/Steps prints each step's cells: together the steps fill the grid once, in the schedule's counts.</summary>
public class StepsSampleTests
{
    private static (int ExitCode, string[] Lines, string Error) Run(params string[] args)
    {
        CliResult result = CliInvocation.Capture(() => Steps.Program.Main(args).GetAwaiter().GetResult());
        return (result.ExitCode, result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), result.Error);
    }

    [Fact]
    public void EachStepsGridMarksItsCellsAndTheCellsBefore()
    {
        const int steps = 6, side = 16; // tiny-random: a 16 x 16 grid
        (int exitCode, string[] lines, string error) = Run("Golden Retriever", $"{steps}");

        Assert.True(exitCode == 0, error);
        Assert.Equal(steps * (1 + side), lines.Length);
        int[] expectedCounts = DecodingSchedule.TokensPerStep(side * side, steps, SampleSchedule.Arccos);
        var before = new bool[side * side];
        for (int k = 0; k < steps; k++)
        {
            string[] block = lines.Skip(k * (1 + side)).Take(1 + side).ToArray();
            Assert.Equal($"step {k + 1}/{steps}: {expectedCounts[k]} tokens", block[0]);
            string cells = string.Concat(block.Skip(1));
            Assert.All(block.Skip(1), row => Assert.Equal(side, row.Length));
            Assert.Equal(expectedCounts[k], cells.Count(c => c == '#'));
            for (int cell = 0; cell < cells.Length; cell++)
            {
                Assert.Equal(before[cell] ? 'o' : cells[cell] == '#' ? '#' : '.', cells[cell]);
                before[cell] |= cells[cell] == '#';
            }
        }
        Assert.All(before, Assert.True);
    }

    [Theory]
    [InlineData(new[] { "golden retreiver dog" }, "'golden retreiver dog' is not an ImageNet class name")]
    [InlineData(new[] { "207", "many" }, "STEPS 'many' is not an integer")]
    [InlineData(new[] { "207", "0" }, "Steps 0")]
    [InlineData(new[] { "207", "8", "ARPG-Q" }, "ARPG-Q")]
    public void BadInputIsOneErrorLineAndExitCode2(string[] args, string named)
    {
        (int exitCode, _, string error) = Run(args);

        Assert.Equal(2, exitCode);
        string line = Assert.Single(error.Split('\n'), l => l.Contains("error", StringComparison.Ordinal));
        Assert.StartsWith("error: ", line);
        Assert.Contains(named, line);
        Assert.DoesNotContain("   at ", error);
    }
}
