using System.Globalization;
using System.Text.Json;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Generation.Explain;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Explain;

/// <summary>`arpg generate --explain`, `arpg inpaint --explain` and `arpg score --heatmap` on the tiny fixture.</summary>
public class ExplainCliTests
{
    /// <summary>The CLI's name (without .png) of image <paramref name="index"/> of class <paramref name="label"/>.</summary>
    private static string Named(int index, int label) =>
        Path.GetFileNameWithoutExtension(ArpgIlgpu.Cli.OutputFolder.ImageName(index, label));

    private static string[] Model(string name = "tiny") =>
    [
        "--config", Fixtures.PathOf(name, "json"), "--arpg-checkpoint", Fixtures.PathOf(name, "arpg.pt"),
        "--vq-checkpoint", Fixtures.PathOf(name, "vq.pt"), "--device", "cpu",
    ];

    [Fact]
    public void GenerateExplainWritesTheFourFilesPerImageAndReportsTheCost()
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run(["generate", .. Model(), "--classes", "3,7", "--steps", "5", "--seed", "2",
            "--out", dir.File("out"), "--explain", dir.File("explain"), "--save-tokens", dir.File("t.json")]);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("--explain adds up to 10 VQ decodes", result.Error);
        Assert.Contains("--explain: 10 VQ decode(s)", result.Error);
        TokenFile tokens = TokenFile.Read(dir.File("t.json"));
        foreach ((string name, int image) in new[] { (Named(0, 3), 0), (Named(1, 7), 1) })
        {
            string folder = Path.Combine(dir.File("explain"), name);
            Assert.Equal([ExplanationFiles.Confidence, ExplanationFiles.Json, ExplanationFiles.Order, ExplanationFiles.Steps],
                Directory.GetFiles(folder).Select(Path.GetFileName).Order());
            using (Image<Rgb24> gif = Image.Load<Rgb24>(Path.Combine(folder, ExplanationFiles.Steps)))
                Assert.Equal(5, gif.Frames.Count);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ExplanationFiles.Json)));
            var canvas = new int[64];
            foreach (JsonElement step in json.RootElement.GetProperty("steps").EnumerateArray())
            {
                int[] positions = step.GetProperty("positions").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                int[] stepTokens = step.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                for (int i = 0; i < positions.Length; i++)
                    canvas[positions[i]] = stepTokens[i];
            }
            Assert.Equal(tokens.Tokens[image], canvas);
        }
    }

    [Fact]
    public void ExplainWithoutATokenizerIsBadInputAndWritesNothing()
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run(["generate", "--config", Fixtures.PathOf("tiny", "json"), "--arpg-checkpoint",
            Fixtures.PathOf("tiny", "arpg.pt"), "--device", "cpu", "--classes", "3", "--save-tokens", dir.File("t.json"), "--explain", dir.File("explain")]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--explain", result.Error);
        Assert.Contains("--vq-checkpoint", result.Error);
        Assert.False(Directory.Exists(dir.File("explain")));
        Assert.False(File.Exists(dir.File("t.json")));
    }

    [Fact]
    public void WithoutExplainNothingExtraIsWritten()
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run(["generate", .. Model(), "--classes", "3", "--steps", "4", "--out", dir.File("out")]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.DoesNotContain("explain", result.Error);
        Assert.Equal([Named(0, 3) + ".png"], Directory.GetFiles(dir.File("out")).Select(Path.GetFileName));
        Assert.Single(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void InpaintExplainFillsExactlyTheMaskedCells()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliInvocation.Run(["generate", .. Model(), "--classes", "3", "--steps", "4", "--out", dir.File("in")]).ExitCode);
        // white over the left half: the cells of columns 0..3 are regenerated
        var mask = new ArpgIlgpu.Imaging.RgbImage(128, 128, new byte[128 * 128 * 3]);
        ArpgIlgpu.Imaging.PixelDrawing.Fill(mask, 0, 0, 64, 128, new ArpgIlgpu.Imaging.Rgb(255, 255, 255));
        ArpgIlgpu.Imaging.PngFile.Write(dir.File("mask.png"), mask);

        CliResult result = CliInvocation.Run(["inpaint", dir.File("in/" + Named(0, 3) + ".png"), "--mask", dir.File("mask.png"),
            "--class", "3", "--steps", "4", .. Model(), "--out", dir.File("out"), "--explain", dir.File("explain")]);

        Assert.True(result.ExitCode == 0, result.Error);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("explain"), "inpainted", ExplanationFiles.Json)));
        int[] filled = json.RootElement.GetProperty("steps").EnumerateArray()
            .SelectMany(s => s.GetProperty("positions").EnumerateArray().Select(e => e.GetInt32())).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 64).Where(p => p % 8 < 4), filled);
        Assert.Equal(Enumerable.Range(0, 64).Where(p => p % 8 >= 4),
            json.RootElement.GetProperty("knownPositions").EnumerateArray().Select(e => e.GetInt32()));
    }

    /// <summary>The heatmap's values are the per-token losses; their mean is the loss `arpg score` prints.</summary>
    [Fact]
    public void TheHeatmapsMeanIsTheScore()
    {
        using var f = new FixtureSet("tiny");
        using var dir = new TempDirectory();
        new TokenFile(f.Ints("score.classes"), f.IntRows("score.tokens")).Write(dir.File("t.json"));

        CliResult result = CliInvocation.Run(["score", .. Model(), "--tokens", dir.File("t.json"), "--heatmap", dir.File("heat")]);

        Assert.True(result.ExitCode == 0, result.Error);
        string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(f.Ints("score.classes").Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            double printed = double.Parse(lines[i].Split('\t')[2], CultureInfo.InvariantCulture);
            string name = Named(i, f.Ints("score.classes")[i]);
            LossMap map = JsonSerializer.Deserialize<LossMap>(File.ReadAllText(Path.Combine(dir.File("heat"), name + ".losses.json")),
                new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
            Assert.Equal(64, map.Losses.Length);
            Assert.Equal(printed, map.Losses.Average(), 5);
            Assert.Equal(map.MeanCrossEntropy, map.Losses.Average(), 1e-9);
            Assert.True(File.Exists(Path.Combine(dir.File("heat"), name + ".png")));
        }
    }

    [Fact]
    public void ScoreNeedsTokensOrAnImageAndAnImageNeedsAClass()
    {
        using var dir = new TempDirectory();
        CliResult neither = CliInvocation.Run(["score", .. Model()]);
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("--tokens or --image", neither.Error);
        Assert.Equal(0, CliInvocation.Run(["generate", .. Model(), "--classes", "3", "--steps", "4", "--out", dir.File("in")]).ExitCode);
        CliResult noClass = CliInvocation.Run(["score", .. Model(), "--image", dir.File("in/" + Named(0, 3) + ".png")]);
        Assert.Equal(2, noClass.ExitCode);
        Assert.Contains("--class", noClass.Error);
        CliResult scored = CliInvocation.Run(["score", .. Model(), "--image", dir.File("in/" + Named(0, 3) + ".png"), "--class", "3"]);
        Assert.True(scored.ExitCode == 0, scored.Error);
        Assert.StartsWith("0\tclass 3\t", scored.Out);
    }
}
