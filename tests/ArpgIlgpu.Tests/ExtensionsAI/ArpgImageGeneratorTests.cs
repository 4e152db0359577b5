using ArpgIlgpu.Extensions.AI;
using ArpgIlgpu.Generation;
using Microsoft.Extensions.AI;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.ExtensionsAI;

/// <summary>ArpgIlgpu.Extensions.AI driven through <see cref="IImageGenerator"/> only, as an app would.</summary>
public sealed class ArpgImageGeneratorTests : IDisposable
{
    private readonly IImageGenerator generator = ArpgImageGenerator.FromPretrained("tiny-random",
        new PipelineOptions { Device = TestDevices.Get("cpu") }, new GenerationOptions { Steps = 4 });

    public void Dispose() => generator.Dispose();

    private static byte[] Pixels(AIContent content, int size)
    {
        DataContent png = Assert.IsType<DataContent>(content);
        Assert.Equal("image/png", png.MediaType);
        using var image = Image.Load<Rgb24>(png.Data.ToArray());
        Assert.Equal((size, size), (image.Width, image.Height));
        var pixels = new byte[size * size * 3];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static DataContent Png(byte value)
    {
        using var image = new Image<Rgb24>(256, 256, new Rgb24(value, value, value));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return new DataContent(stream.ToArray(), "image/png");
    }

    [Fact]
    public async Task ACountOfImagesOfTheClassComeBackAsPngs()
    {
        ImageGenerationResponse response = await generator.GenerateImagesAsync("207", new ImageGenerationOptions { Count = 2 });

        Assert.Equal(2, response.Contents.Count);
        Assert.NotEqual(Pixels(response.Contents[0], 256), Pixels(response.Contents[1], 256));
        ImageGenerationResponse again = await generator.GenerateImagesAsync(" 207 ");
        Assert.Equal(Pixels(response.Contents[0], 256), Pixels(Assert.Single(again.Contents), 256)); // the seed names them
        ImageGenerationResponse named = await generator.GenerateImagesAsync("Golden Retriever");
        Assert.Equal(Pixels(response.Contents[0], 256), Pixels(Assert.Single(named.Contents), 256));
    }

    [Fact]
    public async Task AnEditWithAMaskIsInpaintingAndABlackMaskKeepsThePicture()
    {
        DataContent picture = Png(90);
        ImageGenerationResponse kept = await generator.EditImagesAsync([picture, Png(0)], "3");
        ImageGenerationResponse regenerated = await generator.EditImagesAsync([picture, Png(255)], "3");

        Assert.Equal(Enumerable.Repeat((byte)90, 256 * 256 * 3), Pixels(Assert.Single(kept.Contents), 256));
        Assert.NotEqual(Pixels(Assert.Single(kept.Contents), 256), Pixels(Assert.Single(regenerated.Contents), 256));
    }

    [Theory]
    [InlineData("golden retreiver dog")]
    [InlineData("1000")]
    [InlineData("-3")]
    public async Task APromptThatIsNoClassIsATypedErrorNamingThePrompt(string prompt)
    {
        var e = await Assert.ThrowsAsync<InvalidParameterException>(() => generator.GenerateImagesAsync(prompt));
        Assert.Equal(ClassPrompt.Parameter, e.Parameter);
    }

    [Fact]
    public async Task AnEditWithoutAMaskSaysWhatItNeeds()
    {
        var e = await Assert.ThrowsAsync<InvalidParameterException>(() => generator.EditImageAsync(Png(0), "3"));
        Assert.Contains("mask", e.Problem);
    }

    [Fact]
    public void TheGeneratorDescribesItself()
    {
        Assert.Equal("ArpgIlgpu", generator.GetService<ImageGeneratorMetadata>()?.ProviderName);
        Assert.NotNull(generator.GetService<ImagePipeline>());
    }
}
