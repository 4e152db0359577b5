using ArpgIlgpu.Imaging;
using Xunit;

namespace ArpgIlgpu.Tests.Vq;

/// <summary>The VQ tokenizer against the outputs of the official PyTorch code (fixtures README).</summary>
public class VqFixtureTests
{
    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    /// <summary>
    /// decode.image within the fixtures' 2e-3; then decode.png, which the official sampler wrote,
    /// within 1 per channel after our pixels went through a PNG file and back (one decode serves
    /// both checks: the CPU accelerator's decode is the slow part).
    /// </summary>
    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames)), OpenClGpuCases(nameof(FixtureNames))]
    public void DecodeMatchesTheOfficialImageAndPng(string backend, string fixture)
    {
        using var f = new VqFixture(fixture, TestDevices.Get(backend));
        int[] shape = f.Shape("decode.codes"); // [B, g, g]
        int batch = shape[0], side = shape[1] * f.Config.DownsampleFactor;
        float[] image = f.Model.Decode(f.Ints("decode.codes"), batch, shape[1], shape[2]);
        TestData.AssertClose(f.Expected.ReadFloat32("decode.image"), image, rtol: 0f, atol: 2e-3f, "decode.image");

        byte[] expectedPng = f.Expected.ReadUInt8("decode.png"); // [B, H, W, 3]
        using var folder = new TempDirectory();
        RgbImage[] pixels = RgbImage.FromModelOutput(image, batch, side, side);
        for (int b = 0; b < batch; b++)
        {
            PngFile.Write(folder.File($"{b}.png"), pixels[b]);
            byte[] read = ImageLoader.Read(folder.File($"{b}.png"), multipleOf: 1, ImageFit.Reject).Pixels;
            int plane = side * side * 3;
            for (int i = 0; i < plane; i++)
                if (Math.Abs(read[i] - expectedPng[b * plane + i]) > 1)
                    Assert.Fail($"decode.png image {b}, byte {i}: {read[i]}, expected {expectedPng[b * plane + i]} (tolerance 1)");
        }
    }

    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames)), OpenClGpuCases(nameof(FixtureNames))]
    public void EncodeMatchesTheOfficialLatentAndCodes(string backend, string fixture)
    {
        using var f = new VqFixture(fixture, TestDevices.Get(backend));
        int[] shape = f.Shape("encode.image"); // [B, 3, H, W]
        var encoding = f.Model.Encode(f.Expected.ReadFloat32("encode.image"), shape[0], shape[2], shape[3]);
        // Activations: the fixtures' 1e-3 + 1e-3 |b|; codes exactly.
        TestData.AssertClose(f.Expected.ReadFloat32("encode.latent"), encoding.Latent, rtol: 1e-3f, atol: 1e-3f,
            "encode.latent");
        Assert.Equal(f.Ints("encode.codes"), encoding.Codes);
    }
}
