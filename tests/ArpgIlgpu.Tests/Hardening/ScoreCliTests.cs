using System.Globalization;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>`arpg score` batches its images (--batch), and its errors name the file that is wrong.</summary>
public sealed class ScoreCliTests
{
    private static string[] Score(string tokens, params string[] extra) =>
    [
        "score", "--tokens", tokens, "--config", Fixtures.PathOf("tiny", "json"),
        "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"), "--device", "cpu", .. extra,
    ];

    /// <summary>A tokens file of <paramref name="images"/> random 8x8 rows (the tiny model's vocabulary of 64, 10 classes).</summary>
    private static void WriteTokens(string path, int images, Random random, int badClassAt = -1, bool bom = false)
    {
        int[] classes = Enumerable.Range(0, images).Select(i => i == badClassAt ? 10 + random.Next(1000) : random.Next(10)).ToArray();
        string rows = string.Join(", ", Enumerable.Range(0, images).Select(_ => "[" + string.Join(", ", Enumerable.Range(0, 64).Select(_ => random.Next(64))) + "]"));
        string json = $"{{\"classes\": [{string.Join(", ", classes)}], \"tokens\": [{rows}]}}";
        File.WriteAllText(path, json, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: bom));
    }

    private static double[] Losses(string stdout) =>
        stdout.Trim().Split('\n').Select(line => double.Parse(line.Split('\t')[2], CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void BatchesGiveTheScoresOfOneBatch()
    {
        using var dir = new TempDirectory();
        var random = new Random(3);
        string tokens = dir.File("tokens.json");
        WriteTokens(tokens, 13, random, bom: true);
        CliResult whole = CliInvocation.Run(Score(tokens, "--batch", "13"));
        Assert.True(whole.ExitCode == 0, whole.Error);
        double[] expected = Losses(whole.Out);
        Assert.Equal(13, expected.Length);
        foreach (int batch in new[] { 1, 4, 5, 100 })
        {
            CliResult batched = CliInvocation.Run(Score(tokens, "--batch", $"{batch}"));
            Assert.True(batched.ExitCode == 0, batched.Error);
            double[] losses = Losses(batched.Out);
            Assert.Equal(expected.Length, losses.Length);
            for (int i = 0; i < losses.Length; i++)
                Assert.Equal(expected[i], losses[i], 4);
        }
    }

    /// <summary>A class outside the model's range anywhere in the file: the error names the file, not an option it lacks.</summary>
    [Fact]
    public void ErrorsNameTheFile()
    {
        using var dir = new TempDirectory();
        var random = new Random(4);
        string tokens = dir.File("tokens.json");
        for (int trial = 0; trial < 5; trial++)
        {
            WriteTokens(tokens, 6, random, badClassAt: random.Next(6));
            CliResult result = CliInvocation.Run(Score(tokens));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains(tokens, result.Error);
            Assert.DoesNotContain("--classes", result.Error);
        }
        CliResult zero = CliInvocation.Run(Score(tokens, "--batch", "0"));
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--batch 0", zero.Error);
    }
}
