using ArpgIlgpu.Cli;
using System.Text.RegularExpressions;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// What a person watching stderr sees (redirected, as here: plain lines): the kernel compilation
/// announced and timed, steps with elapsed time, rate and ETA, VQ decoding, and the overall count.
/// </summary>
public class ProgressCliTests
{
    private static string Tiny(string suffix) => Fixtures.PathOf("tiny", suffix);

    private static string[] TinyModel =>
        ["--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--vq-checkpoint", Tiny("vq.pt"), "--device", "cpu"];

    /// <summary>Runs a command on the tiny fixture writing into a fresh folder; its stderr lines.</summary>
    private static string[] StderrOf(params string[] args)
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run([.. args, "--out", dir.Path, .. TinyModel]);
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Error.Split('\n', StringSplitOptions.TrimEntries);
    }

    [Fact]
    public void GenerateAnnouncesTheCompilationOnceAndShowsStepsDecodingAndTheOverallCount()
    {
        string[] lines = StderrOf("generate", "--classes", "1,2", "--batch", "1", "--steps", "4");

        Assert.Single(lines, l => l.StartsWith("compiling kernels for CPUAccelerator (first run; cached afterwards)", StringComparison.Ordinal));
        Assert.Single(lines, l => Regex.IsMatch(l, @"^kernels compiled: step 1 with compilation took \d+\.\d s$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^images 0\.\.0: 4/4 steps, 64/64 tokens, \d+\.\d s, [\d.]+ steps/s$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^images 1\.\.1: 4/4 steps, 64/64 tokens, "));
        Assert.Contains(lines, l => l.StartsWith("images 1..1: VQ decoding: 1/1 images, ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("generate: 2/2 images, ", StringComparison.Ordinal));
    }

    [Fact]
    public void SampleShowsTheOverallCountAndRate()
    {
        string[] lines = StderrOf("sample", "--num", "2", "--batch", "1", "--steps", "2");

        Assert.Contains(lines, l => l.StartsWith("sample: 0/2 images, ", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^sample: 2/2 images, \d+\.\d s, [\d.]+ images/s$"));
    }

    [Fact]
    public void ABarsLineHasTheCountElapsedTimeRateAndUntilDoneTheEta()
    {
        using ProgressDisplay display = ProgressDisplay.OnStderr();
        using ProgressBar bar = display.Start("sample", 4, "images");
        Thread.Sleep(20);

        Assert.Matches(@"^sample: 1/4 images, \d+\.\d s, [\d.]+ images/s, ETA \d+\.\d s$", bar.Text(1));
        Assert.Matches(@"^sample: 4/4 images, 12/12 tokens, \d+\.\d s, [\d.]+ images/s$", bar.Text(4, ", 12/12 tokens"));
        Assert.Equal("3 min 12 s", ProgressBar.Duration(192.4));
    }
}
