using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Tests.Checkpoints;
using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// Sampling settings not given on the command line are the model's published ones (ARPG-L 5.0,
/// ARPG-XL 6.0, ARPG-XXL 7.5, 64 arccos steps, linear guidance), printed once; PNGs record the
/// resolved settings; a checkpoint's unused entries give one warning line; --weights picks its copy.
/// </summary>
public class RecommendedSamplingCliTests
{
    public static IEnumerable<object[]> Presets() => RecommendedSampling.Presets.Keys.Select(k => new object[] { k });

    [Theory, MemberData(nameof(Presets))]
    public void APresetRunResolvesThePublishedSettings(string model)
    {
        // the tiny weights do not fit a preset: the run stops at loading, after resolving the settings
        CliResult result = CliInvocation.Run("generate", "--model", model, "--classes", "207", "--device", "cpu",
            "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"), "--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"));

        RecommendedSampling r = RecommendedSampling.Presets[model];
        string line = result.Error.Split('\n').Single(l => l.StartsWith("sampling: "));
        Assert.StartsWith($"sampling: steps 64, cfg {r.Cfg.ToString(CultureInfo.InvariantCulture)}, cfg-schedule linear, schedule arccos, temperature 1,", line);
        Assert.EndsWith($"({model}'s recommended settings from the official GETTING_STARTED.md, FID {r.Fid?.ToString("0.00", CultureInfo.InvariantCulture)} there)", line);
    }

    [Fact]
    public void GivenSettingsWinOverThePresetsAndAreNamed()
    {
        CliResult result = CliInvocation.Run("generate", "--model", "ARPG-XXL", "--classes", "207", "--device", "cpu",
            "--cfg", "3", "--schedule", "cosine",
            "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"), "--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"));
        Assert.Contains("sampling: steps 64, cfg 3, cfg-schedule linear, schedule cosine,", result.Error);
        Assert.Contains("; given: --cfg, --schedule)", result.Error);
    }

    [Fact]
    public void HelpSaysTheDefaultIsTheModelsRecommendedValue()
    {
        CliResult result = CliInvocation.Run("generate", "--model", "ARPG-XXL", "--help");
        Assert.Contains("default: the model's recommended value (ARPG-L 5.0, ARPG-XL 6.0, ARPG-XXL 7.5)", result.Out);
    }

    [Fact]
    public void AConfigModelKeepsTheGeneralDefaults()
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run("generate", "--config", Fixtures.PathOf("tiny-fp16", "json"),
            "--arpg-checkpoint", Fixtures.PathOf("tiny-fp16", "arpg.pt"), "--classes", "1", "--device", "cpu",
            "--save-tokens", dir.File("t.json"));
        Assert.True(result.ExitCode == 0, result.Error);
        var defaults = new GenerationOptions();
        Assert.Contains($"sampling: steps {defaults.Steps}, cfg {defaults.Cfg.ToString(CultureInfo.InvariantCulture)}, cfg-schedule linear, schedule arccos,", result.Error);
        Assert.Contains("(defaults for --config tiny-fp16.json)", result.Error);
    }

    /// <summary>
    /// A training checkpoint's EMA copy, with leftover buffers and one unknown entry: --weights ema gives
    /// the fixture's tokens, one warning names the unknown entry, and the PNGs carry the settings.
    /// </summary>
    [Fact]
    public void TheEmaCopyOfATrainingCheckpointLoadsWithOneWarningAndThePngsRecordTheSettings()
    {
        using var f = new FixtureSet("tiny-fp16");
        using var dir = new TempDirectory();
        string checkpoint = dir.File("0100000.pt"), order = dir.File("order.json");
        File.WriteAllBytes(checkpoint, CheckpointZooTests.TrainingCheckpointWithEma("tiny-fp16"));
        File.WriteAllText(order, System.Text.Json.JsonSerializer.Serialize(f.Ints("gen.order")));
        int[] classes = f.Ints("gen.classes");

        CliResult result = CliInvocation.Run("generate", "--config", Fixtures.PathOf(f.Name, "json"),
            "--arpg-checkpoint", checkpoint, "--weights", "ema", "--vq-checkpoint", Fixtures.PathOf(f.Name, "vq.pt"),
            "--classes", string.Join(",", classes), "--steps", "5", "--cfg", "2.5", "--cfg-schedule", "constant",
            "--schedule", "cosine", "--temperature", "0", "--order", order, "--device", "cpu",
            "--out", dir.File("out"), "--save-tokens", dir.File("t.json"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(f.IntRows("gen.tokens"), TokenFile.Read(dir.File("t.json")).Tokens);
        string warning = Assert.Single(result.Error.Split('\n'), l => l.StartsWith("warning: "));
        Assert.Equal($"warning: {checkpoint}: ignored 1 entries the model does not use (as the official loader's strict=False): aux_head.weight", warning);
        ImageRecord record = ImageRecord.ReadPng(dir.File(Path.Combine("out", ArpgIlgpu.Cli.OutputFolder.ImageName(1, classes[1]))));
        Assert.Equal(("--config tiny-fp16.json", "ema", classes[1], 1), (record.Model, record.WeightsKey, record.Class, record.Index));
        Assert.Equal((5, 2.5f, CfgSchedule.Constant, SampleSchedule.Cosine, 0f),
            (record.Options.Steps, record.Options.Cfg, record.Options.CfgSchedule, record.Options.Schedule, record.Options.Sampling.Temperature));
        Assert.Equal(f.Ints("gen.order"), record.Options.Order);
        Assert.Equal(ArpgIlgpu.Checkpoints.CheckpointDigest.Of(checkpoint), record.TransformerDigest);
    }
}
