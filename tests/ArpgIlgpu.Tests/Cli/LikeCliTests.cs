using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// `arpg generate --like IMAGE.png`: every PNG records how it was made, and the record alone
/// makes the same file again, bit for bit; options given as well override the record.
/// </summary>
public class LikeCliTests
{
    private static readonly string[] TinyModel =
    [
        "--config", Fixtures.PathOf("tiny", "json"), "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"),
        "--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"),
    ];

    private static string[] Device => ["--device", FastestBackend.Name];

    [Fact]
    public void ARandomWeightsPictureIsRemadeBitForBitFromItsRecordAlone()
    {
        using var dir = new TempDirectory();
        CliResult first = CliInvocation.Run(["generate", "--model", "tiny-random", "--classes", "volcano,golden retriever",
            "--steps", "6", "--cfg", "2.5", "--top-k", "20", "--order", "spiral-in", "--seed", "11", "--out", dir.File("a"), .. Device]);
        Assert.True(first.ExitCode == 0, first.Error);
        string original = dir.File(Path.Combine("a", "0001_207_golden_retriever.png"));

        CliResult again = CliInvocation.Run(["generate", "--like", original, "--out", dir.File("b"), .. Device]);

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("like " + original + ": image 1", again.Error);
        Assert.Equal(["0001_207_golden_retriever.png"], Directory.GetFiles(dir.File("b")).Select(Path.GetFileName));
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(dir.File(Path.Combine("b", "0001_207_golden_retriever.png"))));
        ImageRecord record = ImageRecord.ReadPng(original);
        Assert.Equal((TinyRandomSeed, 207, 1, 11UL, 20), (record.RandomWeightSeed, record.Class, record.Index, record.Options.Sampling.Seed, record.Options.Sampling.TopK));
        Assert.Equal(GenerationOrders.Fixed("spiral-in", 16), record.Options.Order);
    }

    private static int TinyRandomSeed => ArpgIlgpu.Models.TinyRandom.WeightSeed;

    [Fact]
    public void AFixturePictureIsRemadeBitForBitAndGivenOptionsOverrideTheRecord()
    {
        using var dir = new TempDirectory();
        CliResult first = CliInvocation.Run(["generate", .. TinyModel, "--classes", "3,7,1", "--steps", "5", "--seed", "9",
            "--out", dir.File("a"), .. Device]);
        Assert.True(first.ExitCode == 0, first.Error);
        string original = dir.File(Path.Combine("a", "0002_1_goldfish.png"));

        CliResult again = CliInvocation.Run(["generate", "--like", original, .. TinyModel, "--out", dir.File("b"), .. Device]);
        CliResult reseeded = CliInvocation.Run(["generate", "--like", original, .. TinyModel, "--seed", "10", "--out", dir.File("c"), .. Device]);

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.DoesNotContain("warning", again.Error);
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(dir.File(Path.Combine("b", "0002_1_goldfish.png"))));
        Assert.True(reseeded.ExitCode == 0, reseeded.Error);
        ImageRecord record = ImageRecord.ReadPng(dir.File(Path.Combine("c", "0002_1_goldfish.png")));
        Assert.Equal((10UL, 5, 1, 2), (record.Options.Sampling.Seed, record.Options.Steps, record.Class, record.Index));
    }

    [Fact]
    public void ASampledPictureIsRemadeByGenerate()
    {
        using var dir = new TempDirectory();
        CliResult sample = CliInvocation.Run(["sample", "--num", "4", .. TinyModel, "--steps", "4", "--out", dir.File("s"), .. Device]);
        Assert.True(sample.ExitCode == 0, sample.Error);
        string original = dir.File(Path.Combine("s", "000003.png"));
        ImageRecord record = ImageRecord.ReadPng(original);

        CliResult again = CliInvocation.Run(["generate", "--like", original, .. TinyModel, "--out", dir.File("g"), .. Device]);

        Assert.True(again.ExitCode == 0, again.Error);
        string remade = dir.File(Path.Combine("g", ArpgIlgpu.Cli.OutputFolder.ImageName(3, record.Class)));
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(remade));
    }

    [Fact]
    public void OtherWeightsAreNamedInAWarning()
    {
        using var dir = new TempDirectory();
        CliResult first = CliInvocation.Run(["generate", .. TinyModel, "--classes", "3", "--steps", "2", "--out", dir.File("a"), .. Device]);
        Assert.True(first.ExitCode == 0, first.Error);

        CliResult other = CliInvocation.Run(["generate", "--like", dir.File(Path.Combine("a", "0000_3_tiger_shark.png")),
            "--config", Fixtures.PathOf("tiny", "json"), "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.safetensors"),
            "--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"), "--out", dir.File("b"), .. Device]);

        Assert.True(other.ExitCode == 0, other.Error);
        Assert.Contains("the picture will differ", Assert.Single(other.Error.Split('\n'), l => l.StartsWith("warning: ")));
    }

    [Fact]
    public void AnImageItCannotRemakeIsBadInput()
    {
        using var dir = new TempDirectory();
        CliResult first = CliInvocation.Run(["generate", .. TinyModel, "--classes", "3", "--steps", "2", "--grid", "--out", dir.File("a"), .. Device]);
        Assert.True(first.ExitCode == 0, first.Error);
        CliResult edit = CliInvocation.Run(["outpaint", dir.File(Path.Combine("a", "0000_3_tiger_shark.png")), "--right", "16", "--class", "3",
            "--steps", "1", .. TinyModel, "--out", dir.File("a"), .. Device]);
        Assert.True(edit.ExitCode == 0, edit.Error);
        Assert.Equal("outpaint", ImageRecord.ReadPng(dir.File(Path.Combine("a", "outpainted.png"))).Edit);
        (string Image, string Expected)[] cases =
        [
            ("0000_3_tiger_shark.png", "made with the model '--config tiny.json' (transformer sha256 "),
            ("outpainted.png", "outpainted.png: made by outpaint from another picture; --like remakes generated images"),
            ("grid.png", "grid.png: no generation record"),
            ("missing.png", "missing.png: no such file"),
        ];

        foreach ((string image, string expected) in cases)
        {
            CliResult result = CliInvocation.Run(["generate", "--like", dir.File(Path.Combine("a", image)), "--out", dir.File("b"), .. Device]);

            Assert.Equal(2, result.ExitCode);
            Assert.Contains(expected, result.Error);
            Assert.False(Directory.Exists(dir.File("b")));
        }
    }
}
