using System.IO.Compression;
using System.Text.Json;
using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// The fixture checkpoints written by torch.save load to the same tensors as the safetensors copies
/// written independently beside them; the VQ checkpoints load with the shapes their configs imply.
/// </summary>
public class FixtureCheckpointTests
{
    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    [Theory, MemberData(nameof(FixtureNames))]
    public void TorchCheckpointMatchesSafeTensorsBitForBit(string fixture)
    {
        using var pt = StateDict.Open(Fixtures.PathOf(fixture, "arpg.pt"));
        using var st = StateDict.Open(Fixtures.PathOf(fixture, "arpg.safetensors"));

        Assert.Equal(st.Names.Order(StringComparer.Ordinal), pt.Names.Order(StringComparer.Ordinal));
        foreach (string name in st.Names)
        {
            Assert.Equal(st.Info(name).DType, pt.Info(name).DType);
            Assert.Equal(st.Info(name).Shape, pt.Info(name).Shape);
            Assert.Equal(Bits(st.ReadFloat32(name)), Bits(pt.ReadFloat32(name)));
        }
    }

    [Fact]
    public void FixturesStoreTheDocumentedDTypesUnderTheDocumentedKeys()
    {
        using var tiny = StateDict.Open(Fixtures.PathOf("tiny", "arpg.pt"));
        using var fp16 = StateDict.Open(Fixtures.PathOf("tiny-fp16", "arpg.pt"));
        Assert.Equal("key 'state_dict'", tiny.FoundAt);
        Assert.Equal("key 'model'", fp16.FoundAt);
        Assert.All(tiny.Names, n => Assert.Equal(DType.Float32, tiny.Info(n).DType));
        Assert.All(fp16.Names, n => Assert.Equal(DType.Float16, fp16.Info(n).DType));
    }

    [Theory, MemberData(nameof(FixtureNames))]
    public void VqCheckpointLoadsWithTheShapesOfItsConfig(string fixture)
    {
        string path = Fixtures.PathOf(fixture, "vq.pt");
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf(fixture, "json")));
        JsonElement vq = doc.RootElement.GetProperty("vq");
        int codebook = vq.GetProperty("codebook_size").GetInt32(), embed = vq.GetProperty("codebook_embed_dim").GetInt32();
        int ch = vq.GetProperty("ch").GetInt32(), z = vq.GetProperty("z_channels").GetInt32();

        using var sd = StateDict.Open(path);
        Assert.Equal("key 'model'", sd.FoundAt);
        // torch.save writes one storage per parameter here: count them with the BCL's own zip reader
        using (ZipArchive zip = ZipFile.OpenRead(path))
            Assert.Equal(zip.Entries.Count(e => e.FullName.Contains("/data/")), sd.Names.Count);
        Assert.Equal([codebook, embed], sd.Info("quantize.embedding.weight").Shape);
        Assert.Equal([ch, 3, 3, 3], sd.Info("encoder.conv_in.weight").Shape);
        Assert.Equal([3, ch, 3, 3], sd.Info("decoder.conv_out.weight").Shape);
        Assert.Equal([embed, z, 1, 1], sd.Info("quant_conv.weight").Shape);
        Assert.Equal([z, embed, 1, 1], sd.Info("post_quant_conv.weight").Shape);
        foreach (string name in sd.Names)
            Assert.Equal(sd.Info(name).ElementCount, sd.ReadFloat32(name).Length);
    }

    [Theory, MemberData(nameof(FixtureNames))]
    public void ExpectedSafeTensorsReadAsTheirDTypes(string fixture)
    {
        using var sd = StateDict.Open(Fixtures.PathOf(fixture, "expected.safetensors"));
        Assert.Equal(DType.Int64, sd.Info("gen.tokens").DType);
        Assert.Equal(DType.UInt8, sd.Info("decode.png").DType);
        long[] tokens = sd.ReadInt64("gen.tokens");
        Assert.Equal(sd.Info("gen.tokens").ElementCount, tokens.Length);
        Assert.Equal(sd.Info("decode.png").ElementCount, sd.ReadUInt8("decode.png").Length);
        Assert.Equal(sd.Info("decode.image").ElementCount, sd.ReadFloat32("decode.image").Length);
        // decode.codes is documented to equal gen.tokens
        Assert.Equal(tokens, sd.ReadInt64("decode.codes"));
    }

    [Fact]
    public void MissingTensorIsAnErrorNamingTensorAndFile()
    {
        using var sd = StateDict.Open(Fixtures.PathOf("tiny", "arpg.pt"));
        var e = Assert.ThrowsAny<InvalidInputException>(() => sd.Info("no.such.weight"));
        Assert.Contains("no.such.weight", e.Message);
        Assert.Contains("tiny.arpg.pt", e.Message);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
