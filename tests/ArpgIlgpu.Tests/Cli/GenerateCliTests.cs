using System.Text.Json;
using ArpgIlgpu.Generation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// `arpg generate` end to end on the fixtures: the official order and argmax give the official
/// tokens, and the PNGs equal the official pixels within 1 per channel.
/// </summary>
public class GenerateCliTests
{
    /// <summary>The fixture's generation settings as command-line arguments, with gen.order written to order.json.</summary>
    private static List<string> FixtureArguments(FixtureSet f, TempDirectory dir, string device)
    {
        string order = dir.File("order.json");
        File.WriteAllText(order, JsonSerializer.Serialize(f.Ints("gen.order")));
        JsonElement gen = f.Json.GetProperty("generation");
        return
        [
            "generate", "--config", Fixtures.PathOf(f.Name, "json"), "--arpg-checkpoint", f.ArpgCheckpoint,
            "--classes", string.Join(",", f.Ints("gen.classes")),
            "--steps", f.Steps.ToString(), "--cfg", gen.GetProperty("cfg").GetRawText(),
            "--cfg-schedule", gen.GetProperty("cfg_schedule").GetString()!,
            "--schedule", gen.GetProperty("sample_schedule").GetString()!,
            "--temperature", "0", "--order", order, .. TestDevices.CliArguments(device),
        ];
    }

    [Theory, Cpu, OpenCl, OpenClGpu]
    public void SavesTheOfficialTokens(string backend)
    {
        _ = TestDevices.Get(backend);
        using var f = new FixtureSet("tiny");
        using var dir = new TempDirectory();
        var args = FixtureArguments(f, dir, backend);
        args.AddRange(["--save-tokens", dir.File("t.json")]);

        CliResult result = CliInvocation.Run([.. args]);

        Assert.True(result.ExitCode == 0, result.Error);
        TokenFile saved = TokenFile.Read(dir.File("t.json"));
        Assert.Equal(f.IntRows("gen.tokens"), saved.Tokens);
        Assert.Equal(f.Ints("gen.classes"), saved.Classes);
        Assert.Equal(["order.json", "t.json"], dir.Files()); // tokens only: no --vq-checkpoint
    }

    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });


    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames)), OpenClGpuCases(nameof(FixtureNames))]
    public void WritesTheOfficialPixels(string backend, string fixture)
    {
        _ = TestDevices.Get(backend);
        using var f = new FixtureSet(fixture);
        using var dir = new TempDirectory();
        var args = FixtureArguments(f, dir, backend);
        args.AddRange(["--vq-checkpoint", Fixtures.PathOf(fixture, "vq.pt"), "--out", dir.File("out"), "--grid"]);

        CliResult result = CliInvocation.Run([.. args]);

        Assert.True(result.ExitCode == 0, result.Error);
        int[] classes = f.Ints("gen.classes");
        byte[] expected = f.Expected.ReadUInt8("decode.png"); // [B, H, W, 3]
        int[] shape = f.Expected.Info("decode.png").Shape;
        int pixels = shape[1] * shape[2] * 3;
        for (int b = 0; b < classes.Length; b++)
        {
            using var png = Image.Load<Rgb24>(dir.File(Path.Combine("out", ArpgIlgpu.Cli.OutputFolder.ImageName(b, classes[b]))));
            Assert.Equal((shape[2], shape[1]), (png.Width, png.Height));
            var actual = new byte[pixels];
            png.CopyPixelDataTo(actual);
            int worst = Enumerable.Range(0, pixels).Max(i => Math.Abs(actual[i] - expected[b * pixels + i]));
            Assert.True(worst <= 1, $"image {b}: a channel differs by {worst} from decode.png");
        }
        Assert.True(File.Exists(dir.File(Path.Combine("out", "grid.png"))));
    }

    [Fact]
    public void TinyRandomGeneratesAGridWithoutDownloads()
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run("generate", "--model", "tiny-random", "--classes", "golden retriever,360",
            "--steps", "8", "--out", dir.Path, "--grid");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("noise", result.Error);
        Assert.Equal(["0000_207_golden_retriever.png", "0001_360_otter.png", "grid.png"], dir.Files());
        using var grid = Image.Load<Rgb24>(dir.File("grid.png"));
        Assert.True(grid.Width > 2 * 256);
    }
}
