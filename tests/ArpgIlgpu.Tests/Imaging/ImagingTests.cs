using ArpgIlgpu.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Imaging;

public class ImagingTests
{
    private static RgbImage RandomImage(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void ModelOutputToPixelsClampsAndTruncatesAsTheOfficialSampler()
    {
        // [1, 3, 1, 4]: channel 0 holds the interesting values, channels 1 and 2 constants
        float[] x = [-1f, 1f, 0.5f, float.NaN, 0f, 0f, 0f, 0f, 2f, -2f, 0.999f, -0.999f];
        RgbImage image = RgbImage.FromModelOutput(x, count: 1, height: 1, width: 4)[0];
        // 127.5 x + 128: -1 -> 0.5 -> 0; 1 -> 255.5 -> 255; 0.5 -> 191.75 -> 191; NaN -> 0
        byte[] red = [image.Pixels[0], image.Pixels[3], image.Pixels[6], image.Pixels[9]];
        Assert.Equal(new byte[] { 0, 255, 191, 0 }, red);
        Assert.Equal(128, image.Pixels[1]);
        // 2 -> 255 (clamped), -2 -> 0, 0.999 -> 255.37 -> 255, -0.999 -> 0.63 -> 0
        byte[] blue = [image.Pixels[2], image.Pixels[5], image.Pixels[8], image.Pixels[11]];
        Assert.Equal(new byte[] { 255, 0, 255, 0 }, blue);
    }

    [Fact]
    public void ModelInputIsChannelFirstInMinusOneToOne()
    {
        var image = new RgbImage(2, 1, [0, 255, 51, 102, 127, 128]);
        float[] x = image.ToModelInput();
        float[] expected = [-1f, 102 / 127.5f - 1, 1f, 127 / 127.5f - 1, 51 / 127.5f - 1, 128 / 127.5f - 1];
        TestData.AssertClose(expected, x, rtol: 0, atol: 1e-7f);
    }

    /// <summary>Reading a user's image decodes its first frame only, and leaves ImageSharp's own default (all frames) alone.</summary>
    [Fact]
    public void FirstFrameDecodingChangesNoOtherImageLoad()
    {
        using var dir = new TempDirectory();
        using (var gif = new Image<Rgb24>(16, 16, new Rgb24(10, 20, 30)))
        {
            gif.Frames.AddFrame(gif.Frames.RootFrame);
            gif.Frames.AddFrame(gif.Frames.RootFrame);
            gif.SaveAsGif(dir.File("three.gif"));
        }

        RgbImage first = ImageLoader.Read(dir.File("three.gif"), 16, ImageFit.Reject);
        using var all = Image.Load<Rgb24>(dir.File("three.gif"));

        Assert.Equal((16, 16), (first.Width, first.Height));
        Assert.Equal(3, all.Frames.Count);
        var decoder = Assert.IsType<GifDecoder>(Configuration.Default.ImageFormatsManager.FindDecoder(GifFormat.Instance));
        Assert.Equal(SixLabors.ImageSharp.Metadata.FrameDecodingMode.All, decoder.DecodingMode);
    }

    [Fact]
    public void PngRoundTripsExactly()
    {
        using var dir = new TempDirectory();
        RgbImage image = RandomImage(13, 7, seed: 1);
        PngFile.Write(dir.File("a.png"), image);
        Assert.Equal(["a.png"], dir.Files());
        RgbImage back = ImageLoader.Read(dir.File("a.png"), multipleOf: 1, ImageFit.Reject);
        Assert.Equal(image.Pixels, back.Pixels);
        Assert.Equal((13, 7), (back.Width, back.Height));
    }

    [Fact]
    public void CompleteJpegIsRead()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("a.jpg"), EncodedBytes(isPng: false));
        RgbImage image = ImageLoader.Read(dir.File("a.jpg"), multipleOf: 16, ImageFit.Reject);
        Assert.Equal((64, 64), (image.Width, image.Height));
    }

    [Fact]
    public void BatchLeavesNoFileUnlessCommitted()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("taken.png"));
        RgbImage image = RandomImage(4, 4, seed: 2);
        using (var batch = new PngBatch())
        {
            batch.Add(dir.File("first.png"), image);
            var e = Assert.Throws<InvalidInputException>(() => batch.Add(dir.File("taken.png"), image));
            Assert.Contains("taken.png", e.Message);
        }
        Assert.Equal(["taken.png"], Directory.GetFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)).ToArray());
        Assert.Throws<InvalidInputException>(() => PngFile.Write(dir.File("missing/x.png"), image));
        Assert.Empty(dir.Files());

        using (var batch = new PngBatch())
        {
            batch.Add(dir.File("a.png"), image);
            batch.Add(dir.File("b.png"), image);
            Assert.DoesNotContain(dir.Files(), f => !f.StartsWith('.'));
            batch.Commit();
        }
        Assert.Equal(["a.png", "b.png"], dir.Files());
    }

    [Fact]
    public void GridPlacesImagesRowByRowWithPadding()
    {
        RgbImage[] images = [RandomImage(3, 2, 1), RandomImage(3, 2, 2), RandomImage(3, 2, 3)];
        RgbImage grid = ImageGrid.Combine(images, columns: 2, padding: 1);
        Assert.Equal((2 * 4 + 1, 2 * 3 + 1), (grid.Width, grid.Height));
        for (int i = 0; i < 3; i++)
        for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
        for (int c = 0; c < 3; c++)
        {
            int gx = 1 + i % 2 * 4 + x, gy = 1 + i / 2 * 3 + y;
            Assert.Equal(images[i].Pixels[(y * 3 + x) * 3 + c], grid.Pixels[(gy * grid.Width + gx) * 3 + c]);
        }
        Assert.Equal(0, grid.Pixels[0]);                                     // padding is black
        Assert.All(grid.Pixels[^(3 * 4)..], p => Assert.Equal(0, p));       // the empty fourth cell
    }

    [Fact]
    public void SizesNotMultiplesOfTheFactorAreRejectedCroppedOrResizedOnRequest()
    {
        using var dir = new TempDirectory();
        RgbImage image = RandomImage(37, 20, seed: 3);
        PngFile.Write(dir.File("odd.png"), image);
        var e = Assert.Throws<InvalidParameterException>(() => ImageLoader.Read(dir.File("odd.png"), 16, ImageFit.Reject));
        Assert.Equal("fit", e.Parameter);
        Assert.Contains("37x20", e.Message);
        Assert.Contains("crop to 32x16", e.Message);
        Assert.Contains("resize to 32x16", e.Message);

        RgbImage cropped = ImageLoader.Read(dir.File("odd.png"), 16, ImageFit.Crop);
        Assert.Equal((32, 16), (cropped.Width, cropped.Height));
        // centred: offset (2, 2) of the original
        for (int y = 0; y < 16; y++)
            Assert.Equal(image.Pixels.AsSpan(((y + 2) * 37 + 2) * 3, 32 * 3).ToArray(),
                cropped.Pixels.AsSpan(y * 32 * 3, 32 * 3).ToArray());

        RgbImage resized = ImageLoader.Read(dir.File("odd.png"), 16, ImageFit.Resize);
        Assert.Equal((32, 16), (resized.Width, resized.Height));

        // smaller than one token: nothing to crop to, resize goes up to one token
        PngFile.Write(dir.File("tiny.png"), RandomImage(5, 5, seed: 4));
        e = Assert.Throws<InvalidParameterException>(() => ImageLoader.Read(dir.File("tiny.png"), 16, ImageFit.Crop));
        Assert.DoesNotContain("crop to", e.Message);
        Assert.Equal(16, ImageLoader.Read(dir.File("tiny.png"), 16, ImageFit.Resize).Width);
    }

    public static IEnumerable<object[]> BadFiles() =>
    [
        ["empty", "the file is empty"],
        ["directory", "is a directory"],
        ["missing", "no such file"],
        ["text", "not an image"],
        ["truncated png", "truncated or corrupt"],
        ["truncated jpeg", "truncated or corrupt"],
        ["half png", "truncated or corrupt"],
        ["half jpeg", "truncated or corrupt"],
        ["huge header", "outside the accepted size"],
        ["zero width", "input.img"],
    ];

    [Theory, MemberData(nameof(BadFiles))]
    public void BadFilesAreRejectedNamingTheFile(string kind, string reason)
    {
        using var dir = new TempDirectory();
        string path = dir.File("input.img");
        switch (kind)
        {
            case "empty": File.WriteAllBytes(path, []); break;
            case "directory": Directory.CreateDirectory(path); break;
            case "missing": break;
            case "text": File.WriteAllText(path, "not an image at all, just some words"); break;
            case "truncated png": File.WriteAllBytes(path, EncodedBytes(isPng: true)[..200]); break;
            case "truncated jpeg": File.WriteAllBytes(path, EncodedBytes(isPng: false)[..200]); break;
            case "half png": File.WriteAllBytes(path, EncodedBytes(isPng: true) is var png ? png[..(png.Length / 2)] : []); break;
            case "half jpeg": File.WriteAllBytes(path, EncodedBytes(isPng: false) is var jpg ? jpg[..(jpg.Length / 2)] : []); break;
            case "huge header": File.WriteAllBytes(path, PngHeader(100000, 100000)); break;
            case "zero width": File.WriteAllBytes(path, PngHeader(0, 16)); break;
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidInputException>(() => ImageLoader.Read(path, 16, ImageFit.Reject));
        // bounded memory: refused from the header, long before 100000 x 100000 x 3 bytes
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "refusing the file allocated over 64 MiB");
        Assert.Contains(path, e.Message);
        Assert.True(e.Message.Contains(reason), e.Message);
    }

    /// <summary>A 64x64 noise image encoded as PNG or JPEG (noise does not compress, so 200 bytes are a small part).</summary>
    internal static byte[] EncodedBytes(bool isPng)
    {
        RgbImage noise = RandomImage(64, 64, seed: 5);
        using Image<Rgb24> img = Image.LoadPixelData<Rgb24>(noise.Pixels, 64, 64);
        using var stream = new MemoryStream();
        if (isPng)
            img.SaveAsPng(stream);
        else
            img.SaveAsJpeg(stream);
        return stream.ToArray();
    }

    /// <summary>The signature and IHDR chunk of a PNG of the given size, with no pixel data.</summary>
    internal static byte[] PngHeader(int width, int height)
    {
        using Image<Rgb24> img = new(1, 1);
        using var stream = new MemoryStream();
        img.SaveAsPng(stream);
        byte[] bytes = stream.ToArray()[..33]; // 8-byte signature + IHDR (4 length, 4 type, 13 data, 4 CRC)
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    /// <summary>PNG's chunk checksum (CRC-32, polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
