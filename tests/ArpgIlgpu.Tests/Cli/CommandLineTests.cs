using System.Reflection;
using System.Text.Json;
using ArpgIlgpu.Imaging;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// The command line as a new user meets it: usage, version, typos, help, and options that mean
/// the same in every command.
/// </summary>
public class CommandLineTests
{
    private static string Tiny(string suffix) => Fixtures.PathOf("tiny", suffix);

    [Fact]
    public void ArpgAlonePrintsTheUsageAndExits2()
    {
        CliResult result = CliInvocation.Run();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage:", result.Error);
        Assert.Contains("generate", result.Error);
        Assert.DoesNotContain("Required command was not provided", result.Error);
    }

    [LinuxFact]
    public void VersionIsTheLibrarysVersion()
    {
        string library = typeof(InvalidInputException).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        // its own process: --version names the entry assembly, which in-process is the test host
        CliResult result = CliProcess.Run(AppContext.BaseDirectory, new Dictionary<string, string>(), null, "--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0.2.0", library);
        Assert.Equal(library, result.Out.Trim());
    }

    [Theory]
    [InlineData("error: unknown command 'generat' (did you mean generate?)", "generat", "--classes", "1")]
    [InlineData("error: unknown option '--stpes' (did you mean --steps?)", "generate", "--classes", "1", "--stpes", "8")]
    [InlineData("error: unknown option '--clases' (did you mean --classes?)", "generate", "--clases", "1")]
    public void AMisspelledNameGetsTheNearestOneAndNoFollowOnErrors(string expected, params string[] args)
    {
        CliResult result = CliInvocation.Run(args);

        Assert.Equal(2, result.ExitCode);
        string[] errors = result.Error.Split('\n').Where(l => l.StartsWith("error", StringComparison.Ordinal)).ToArray();
        Assert.Equal([expected], errors); // no "Option '--classes' is required" after a misspelled --classes
    }

    [Theory]
    [InlineData("help", "generate")]
    [InlineData("generate", "--help")]
    public void HelpForACommandIsItsHelpAndNoError(params string[] args)
    {
        CliResult result = CliInvocation.Run(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--classes", result.Out);
        Assert.Equal("", result.Error);
    }

    [Theory]
    [InlineData("generate", "--model", "tiny-random", "--classes", "1", "--batch", "0")]
    [InlineData("sample", "--model", "tiny-random", "--num", "1", "--batch", "0")]
    [InlineData("bench", "--model", "tiny-random", "--random-weights", "--batch", "0")]
    public void BatchZeroIsRefusedByEveryCommand(params string[] args)
    {
        using var dir = new TempDirectory();

        CliResult result = CliInvocation.Run([.. args, "--device", "cpu", .. args[0] == "bench" ? [] : new[] { "--out", dir.Path }]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: --batch 0: must be at least 1", result.Error);
        Assert.Empty(dir.Files());
    }

    [Fact]
    public void BenchOfTinyRandomSaysItsWeightsAreRandom()
    {
        CliResult full = CliInvocation.Run("bench", "--model", "tiny-random", "--steps", "1", "--json", "--device", "cpu");

        Assert.True(full.ExitCode == 0, full.Error);
        Assert.True(JsonDocument.Parse(full.Out).RootElement.GetProperty("random_weights").GetBoolean());
    }

    [Fact]
    public void BenchJsonGivesTheStepAgainstTheReadFloorTheComputeFloorAndTheSlowerOfThem()
    {
        CliResult full = CliInvocation.Run("bench", "--model", "tiny-random", "--steps", "2", "--json", "--device", "cpu");

        Assert.True(full.ExitCode == 0, full.Error);
        JsonElement r = JsonDocument.Parse(full.Out).RootElement;
        double step = r.GetProperty("step_seconds").GetDouble(), read = r.GetProperty("step_read_roofline_seconds").GetDouble();
        double compute = r.GetProperty("step_gemm_floor_seconds").GetDouble(), roofline = r.GetProperty("step_roofline_seconds").GetDouble();
        Assert.True(read > 0 && compute > 0, $"read floor {read} s, compute floor {compute} s");
        Assert.Equal(Math.Max(read, compute), roofline);
        Assert.Equal(roofline / step, r.GetProperty("step_roofline_fraction").GetDouble(), 12);
    }

    [Fact]
    public void ConvertRefusesToWriteSafetensorsUnderAnotherName()
    {
        using var dir = new TempDirectory();

        CliResult result = CliInvocation.Run("convert", Tiny("arpg.pt"), dir.File("out.pt"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: OUT ", result.Error);
        Assert.Contains("name it out.safetensors", result.Error);
        Assert.Empty(dir.Files());
    }

    [Fact]
    public void EncodeGivesTheTokenGridAsWidthByHeightLikePixelSizes()
    {
        using var dir = new TempDirectory();
        PngFile.Write(dir.File("wide.png"), new RgbImage(128, 64, new byte[128 * 64 * 3]));

        CliResult result = CliInvocation.Run("encode", dir.File("wide.png"), "--save-tokens", dir.File("t.json"),
            "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--device", "cpu");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("8x4 tokens (width x height)", result.Error);
    }

    [Fact]
    public void AnEditRefusesToReplaceItsEarlierResultWithoutOverwrite()
    {
        using var dir = new TempDirectory();
        PngFile.Write(dir.File("image.png"), new RgbImage(128, 128, new byte[128 * 128 * 3]));
        string[] outpaint =
        [
            "outpaint", dir.File("image.png"), "--right", "16", "--class", "1", "--steps", "1", "--out", dir.File("out"),
            "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--vq-checkpoint", Tiny("vq.pt"), "--device", "cpu",
        ];
        Assert.Equal(0, CliInvocation.Run(outpaint).ExitCode);
        byte[] first = File.ReadAllBytes(dir.File(Path.Combine("out", "outpainted.png")));

        CliResult again = CliInvocation.Run([.. outpaint, "--seed", "1"]);
        CliResult replaced = CliInvocation.Run([.. outpaint, "--seed", "1", "--overwrite"]);

        Assert.Equal(2, again.ExitCode);
        Assert.Contains("outpainted.png exists; pass --overwrite", again.Error);
        Assert.True(replaced.ExitCode == 0, replaced.Error);
        Assert.NotEqual(first, File.ReadAllBytes(dir.File(Path.Combine("out", "outpainted.png"))));
    }
}
