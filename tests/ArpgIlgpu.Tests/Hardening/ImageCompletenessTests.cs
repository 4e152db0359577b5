using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using ArpgIlgpu.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Truncated and damaged images are refused (PNG, BMP, JPEG: the decoders fill what is missing),
/// whole ones of every encoding accepted, and animation bombs decode one frame.
/// </summary>
public sealed class ImageCompletenessTests
{
    private static readonly (PngColorType Color, PngBitDepth Depth)[] PngFormats =
    [
        (PngColorType.Rgb, PngBitDepth.Bit8), (PngColorType.Rgb, PngBitDepth.Bit16),
        (PngColorType.RgbWithAlpha, PngBitDepth.Bit8), (PngColorType.Grayscale, PngBitDepth.Bit1),
        (PngColorType.Grayscale, PngBitDepth.Bit4), (PngColorType.Grayscale, PngBitDepth.Bit8),
        (PngColorType.GrayscaleWithAlpha, PngBitDepth.Bit8), (PngColorType.Palette, PngBitDepth.Bit2),
        (PngColorType.Palette, PngBitDepth.Bit8),
    ];

    private static Image<Rgb24> RandomImage(Random random, int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)(x * 7), (byte)(y * 13));
        return image;
    }

    /// <summary>
    /// A random PNG: random size, pixel format, interlacing and compression. Interlaced ones are
    /// at least 5x5: ImageSharp 2.1 writes filter bytes for empty Adam7 passes of smaller ones,
    /// and then fails to decode its own file.
    /// </summary>
    private static byte[] RandomPng(Random random)
    {
        bool interlaced = random.Next(2) == 0;
        int least = interlaced ? 5 : 1;
        using Image<Rgb24> image = RandomImage(random, random.Next(least, 70), random.Next(least, 70));
        (PngColorType color, PngBitDepth depth) = PngFormats[random.Next(PngFormats.Length)];
        var stream = new MemoryStream();
        image.SaveAsPng(stream, new PngEncoder
        {
            ColorType = color, BitDepth = depth,
            InterlaceMethod = interlaced ? PngInterlaceMode.Adam7 : PngInterlaceMode.None,
            CompressionLevel = (PngCompressionLevel)random.Next(0, 10),
        });
        return stream.ToArray();
    }

    /// <summary>The chunks of a PNG: (offset, length with header and CRC, type).</summary>
    private static List<(int Offset, int Length, string Type)> Chunks(byte[] png)
    {
        var chunks = new List<(int, int, string)>();
        for (int at = 8; at < png.Length;)
        {
            int length = 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            chunks.Add((at, length, System.Text.Encoding.ASCII.GetString(png, at + 4, 4)));
            at += length;
        }
        return chunks;
    }

    private static RgbImage Read(string path) => ImageLoader.Read(path, 1, ImageFit.Reject);

    private static void AssertRefused(string path, string what)
    {
        var e = Assert.Throws<InvalidInputException>(() => Read(path));
        Assert.True(e.Message.Contains(path, StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    /// <summary>
    /// 150 random PNGs: each whole one reads, each cut short (at every chunk boundary before IEND
    /// and at 10 random bytes) is refused.
    /// </summary>
    [Fact]
    public void PngsCutAnywhereAreRefusedWholeOnesRead()
    {
        var random = new Random(2020);
        using var dir = new TempDirectory();
        string path = dir.File("image.png");
        int refused = 0;
        for (int trial = 0; trial < 150; trial++)
        {
            byte[] png = RandomPng(random);
            File.WriteAllBytes(path, png);
            Read(path);
            List<(int Offset, int Length, string Type)> chunks = Chunks(png);
            IEnumerable<int> cuts = chunks.Select(c => c.Offset).Where(o => o > 8)
                .Concat(Enumerable.Range(0, 10).Select(_ => random.Next(1, png.Length)));
            foreach (int cut in cuts)
            {
                File.WriteAllBytes(path, png[..cut]);
                AssertRefused(path, $"trial {trial}, cut at {cut} of {png.Length}");
                refused++;
            }
        }
        Assert.True(refused > 1500);
    }

    /// <summary>IDAT chunks dropped whole (every chunk still valid, IEND present): refused.</summary>
    [Fact]
    public void PngsMissingIdatChunksAreRefused()
    {
        var random = new Random(7);
        using var dir = new TempDirectory();
        string path = dir.File("image.png");
        for (int trial = 0; trial < 60; trial++)
        {
            using Image<Rgb24> image = RandomImage(random, random.Next(40, 120), random.Next(40, 120));
            var stream = new MemoryStream();
            image.SaveAsPng(stream, new PngEncoder { CompressionLevel = PngCompressionLevel.NoCompression });
            byte[] png = stream.ToArray();
            // split the image data into chunks of random size, then drop some of the later ones
            List<(int Offset, int Length, string Type)> chunks = Chunks(png);
            byte[] data = chunks.Where(c => c.Type == "IDAT").SelectMany(c => png.AsSpan(c.Offset + 8, c.Length - 12).ToArray()).ToArray();
            var pieces = new List<byte[]>();
            for (int at = 0; at < data.Length;)
            {
                int size = Math.Min(data.Length - at, random.Next(100, 3000));
                pieces.Add(data[at..(at + size)]);
                at += size;
            }
            int keep = random.Next(1, pieces.Count);
            byte[] head = png[..chunks.First(c => c.Type == "IDAT").Offset];
            File.WriteAllBytes(path, [.. head, .. pieces.Take(keep).SelectMany(p => Chunk("IDAT", p)), .. Chunk("IEND", [])]);
            AssertRefused(path, $"trial {trial}: {keep} of {pieces.Count} IDAT chunks");
            File.WriteAllBytes(path, [.. head, .. pieces.SelectMany(p => Chunk("IDAT", p)), .. Chunk("IEND", [])]);
            Read(path);
        }
    }

    /// <summary>A zlib stream, complete and valid, that holds only some of the rows: refused.</summary>
    [Fact]
    public void PngsWhoseDataHoldsFewerRowsAreRefused()
    {
        var random = new Random(11);
        using var dir = new TempDirectory();
        string path = dir.File("image.png");
        for (int trial = 0; trial < 50; trial++)
        {
            int width = random.Next(1, 50), height = random.Next(2, 50), rows = random.Next(0, height);
            byte[] ihdr = new byte[13];
            BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
            BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
            ihdr[8] = 8; // bit depth
            ihdr[9] = 2; // RGB
            byte[] Scanlines(int count)
            {
                var raw = new byte[count * (1 + width * 3)];
                random.NextBytes(raw);
                for (int r = 0; r < count; r++)
                    raw[r * (1 + width * 3)] = 0; // filter: none
                var zlib = new MemoryStream();
                using (var z = new ZLibStream(zlib, CompressionLevel.Optimal, leaveOpen: true))
                    z.Write(raw);
                return zlib.ToArray();
            }
            byte[] Png(int count) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", Scanlines(count)), .. Chunk("IEND", [])];
            File.WriteAllBytes(path, Png(rows));
            AssertRefused(path, $"{rows} of {height} rows");
            File.WriteAllBytes(path, Png(height));
            Assert.Equal(height, Read(path).Height);
        }
    }

    /// <summary>A PNG chunk: length, type, data, CRC.</summary>
    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        var crc = new ArpgIlgpu.Imaging.Crc32();
        crc.Append(chunk.AsSpan(4, 4 + data.Length));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), crc.Value);
        return chunk;
    }

    /// <summary>100 random BMPs (24, 32 and 8 bits, random sizes): whole ones read, ones cut short refused.</summary>
    [Fact]
    public void BmpsCutShortAreRefusedWholeOnesRead()
    {
        var random = new Random(3);
        BmpBitsPerPixel[] depths = [BmpBitsPerPixel.Pixel24, BmpBitsPerPixel.Pixel32, BmpBitsPerPixel.Pixel8, BmpBitsPerPixel.Pixel16];
        using var dir = new TempDirectory();
        string path = dir.File("image.bmp");
        for (int trial = 0; trial < 100; trial++)
        {
            using Image<Rgb24> image = RandomImage(random, random.Next(1, 90), random.Next(1, 90));
            var stream = new MemoryStream();
            image.SaveAsBmp(stream, new BmpEncoder { BitsPerPixel = depths[random.Next(depths.Length)] });
            byte[] bmp = stream.ToArray();
            File.WriteAllBytes(path, bmp);
            Read(path);
            int pixelStart = BinaryPrimitives.ReadInt32LittleEndian(bmp.AsSpan(10));
            foreach (int cut in new[] { pixelStart, bmp.Length - 1, random.Next(pixelStart, bmp.Length), random.Next(1, bmp.Length) })
            {
                File.WriteAllBytes(path, bmp[..cut]);
                AssertRefused(path, $"trial {trial}, cut at {cut} of {bmp.Length}");
            }
        }
    }

    /// <summary>
    /// A GIF of a few KB with a 4096x4096 canvas and <paramref name="frames"/> frames: read as its
    /// first frame, without decoding the others (each a 48 MiB canvas: gigabytes in all).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(400)]
    [InlineData(3000)]
    public void AnimationBombsDecodeOnlyTheFirstFrame(int frames)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bomb.gif");
        File.WriteAllBytes(path, GifBomb(4096, 4096, frames));
        Assert.True(new FileInfo(path).Length < 64 * 1024 + frames * 20);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.PeakWorkingSet64;
        RgbImage image = Read(path);
        process.Refresh();
        Assert.Equal((4096, 4096), (image.Width, image.Height));
        Assert.True(process.PeakWorkingSet64 - before < 2L << 30,
            $"reading the GIF grew the process by {(process.PeakWorkingSet64 - before) >> 20} MiB");
    }

    /// <summary>GIF89a with a two-colour palette and <paramref name="frames"/> frames of one pixel each.</summary>
    private static byte[] GifBomb(int width, int height, int frames)
    {
        var gif = new List<byte>("GIF89a"u8.ToArray());
        gif.AddRange([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0x80, 0, 0]);
        gif.AddRange([0, 0, 0, 255, 255, 255]); // the global palette: black, white
        for (int f = 0; f < frames; f++)
        {
            gif.AddRange([0x21, 0xF9, 4, 0, 1, 0, 0, 0]); // graphic control: 10 ms delay
            gif.AddRange([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // a 1x1 image at (0, 0)
            gif.AddRange([2, 2, 0x44, 0x01, 0]); // LZW, code size 2: clear, pixel 0, end
        }
        gif.Add(0x3B);
        return [.. gif];
    }
}
