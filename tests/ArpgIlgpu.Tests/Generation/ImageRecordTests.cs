using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>The generation record a PNG carries: JSON that parses back to the same record, inside a PNG tEXt chunk.</summary>
public class ImageRecordTests
{
    private static readonly ImageRecord Example = new()
    {
        Model = "ARPG-L",
        TransformerDigest = "0123456789ab",
        TokenizerDigest = "ba9876543210",
        WeightsKey = "ema",
        Precision = Precision.Fp16,
        Class = 207,
        Index = 41,
        Options = new GenerationOptions
        {
            Steps = 32,
            Cfg = 0.1f + 4.2f, // not a short decimal: the text must still give the same float
            CfgSchedule = CfgSchedule.Constant,
            Schedule = SampleSchedule.Cosine,
            Sampling = new SamplingSettings { Temperature = 0.9f, TopK = 100, TopP = 0.95f, Seed = ulong.MaxValue },
            Order = [3, 1, 0, 2],
        },
    };

    private static void AssertSame(ImageRecord expected, ImageRecord actual)
    {
        Assert.Equal(expected with { Options = null! }, actual with { Options = null! });
        Assert.Equal(expected.Options with { Order = null }, actual.Options with { Order = null });
        Assert.Equal(expected.Options.Order, actual.Options.Order);
    }

    [Fact]
    public void JsonParsesBackToTheSameRecord()
    {
        string json = Example.ToJson();

        AssertSame(Example, ImageRecord.Parse(json, "x"));
        Assert.Contains("\"class\":207,\"class_name\":\"golden retriever\",\"index\":41", json);
        Assert.Contains("\"seed\":18446744073709551615", json);
        Assert.Equal(ImageRecord.LibraryVersion, ImageRecord.Parse(json, "x").Version);
        ImageRecord random = Example with { RandomWeightSeed = 7, TransformerDigest = null, TokenizerDigest = null, Options = new GenerationOptions() };
        AssertSame(random, ImageRecord.Parse(random.ToJson(), "x"));
        Assert.Contains("\"order\":\"random\"", random.ToJson());
    }

    [Fact]
    public void APngCarriesItInOneTextChunk()
    {
        using var dir = new TempDirectory();
        string path = dir.File("a.png");
        PngFile.Write(path, new RgbImage(2, 2, new byte[12]), Example.ToPngText());

        AssertSame(Example, ImageRecord.ReadPng(path));
    }

    [Theory]
    [InlineData("{\"model\":\"ARPG-L\"}", "field \"precision\" is missing")]
    [InlineData("not json", "the generation record is not JSON")]
    [InlineData("{\"model\":\"ARPG-L\",\"precision\":\"fp8\"}", "field \"precision\" must be one of fp32, fp16, int8, found \"fp8\"")]
    public void ABrokenRecordIsBadInputNamingTheField(string json, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => ImageRecord.Parse(json, "x.png"));
        Assert.StartsWith("x.png: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AFileWithoutARecordIsBadInput()
    {
        using var dir = new TempDirectory();
        PngFile.Write(dir.File("plain.png"), new RgbImage(2, 2, new byte[12]));
        File.WriteAllText(dir.File("text.png"), "hello");

        Assert.Contains("no generation record", Assert.Throws<InvalidInputException>(() => ImageRecord.ReadPng(dir.File("plain.png"))).Message);
        Assert.Contains("not a PNG", Assert.Throws<InvalidInputException>(() => ImageRecord.ReadPng(dir.File("text.png"))).Message);
        PngFile.Write(dir.File("long.png"), new RgbImage(2, 2, new byte[12]),
            new Dictionary<string, string> { [ImageRecord.PngKeyword] = new string(' ', (1 << 20) + 1) });
        Assert.Contains("longer than 1048576 characters", Assert.Throws<InvalidInputException>(() => ImageRecord.ReadPng(dir.File("long.png"))).Message);
        Assert.Contains("no such file", Assert.Throws<InvalidInputException>(() => ImageRecord.ReadPng(dir.File("missing.png"))).Message);
    }
}
