using System.Text.Json;
using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using Xunit;

namespace ArpgIlgpu.Tests.Vq;

public class VqConfigTests
{
    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    /// <summary>The names and shapes the config predicts are exactly those torch.save wrote.</summary>
    [Theory, MemberData(nameof(FixtureNames))]
    public void ExpectedTensorsAreExactlyTheCheckpointsTensors(string fixture)
    {
        VqConfig config = ModelConfigFile.Read(Fixtures.PathOf(fixture, "json")).Vq!;
        using StateDict weights = StateDict.Open(Fixtures.PathOf(fixture, "vq.pt"));
        IReadOnlyDictionary<string, int[]> expected = config.ExpectedTensors();
        Assert.Equal(weights.Names.Except(VqConfig.IgnoredTensors).Order(), expected.Keys.Order());
        foreach ((string name, int[] shape) in expected)
            Assert.True(shape.SequenceEqual(weights.Info(name).Shape), name);
    }

    [Fact]
    public void TheFixtureConfigsReadAsWritten()
    {
        VqConfig tiny = ModelConfigFile.Read(Fixtures.PathOf("tiny", "json")).Vq!;
        Assert.Equal(new VqConfig { CodebookSize = 64, Ch = 32, ZChannels = 64 } with { ChMult = tiny.ChMult }, tiny);
        Assert.Equal([1, 1, 2, 2, 4], tiny.ChMult);
        Assert.Equal(16, tiny.DownsampleFactor);
        VqConfig fp16 = ModelConfigFile.Read(Fixtures.PathOf("tiny-fp16", "json")).Vq!;
        Assert.Equal((4, 1, 32), (fp16.DownsampleFactor, fp16.NumResBlocks, fp16.ZChannels));
        Assert.Equal(16, VqConfig.Vq16.DownsampleFactor);
        Assert.Equal(512, VqConfig.Vq16.LevelChannels(4));
    }

    [Theory]
    [InlineData("""{"ch_mult": "wide"}""", "\"ch_mult\"")]
    [InlineData("""{"ch": 30}""", "multiple of 32")]
    [InlineData("""{"codebook_size": 0}""", "codebook_size")]
    [InlineData("""{"codebook_l2_norm": 1}""", "\"codebook_l2_norm\"")]
    [InlineData("""{"num_res_blocks": 2.5}""", "\"num_res_blocks\"")]
    [InlineData("""{"ch_mult": []}""", "ch_mult")]
    public void BadFieldsAreNamed(string json, string named)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        var e = Assert.Throws<InvalidInputException>(() => VqConfig.FromJson(doc.RootElement, "test.json"));
        Assert.Contains("test.json", e.Message);
        Assert.Contains(named, e.Message);
    }

    [Theory]
    [InlineData("""{"other": {}}""", "neither an \"arpg\" nor a \"vq\" object")]
    [InlineData("""{"vq": """, "not valid JSON")]
    public void ConfigFilesWithoutAVqObjectAreRejected(string text, string reason)
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("c.json"), text);
        var e = Assert.Throws<InvalidParameterException>(() => ModelConfigFile.Read(folder.File("c.json")).Vq!);
        Assert.Equal(ModelConfigFile.Parameter, e.Parameter);
        Assert.Contains("c.json", e.Message);
        Assert.Contains(reason, e.Message);
    }
}
