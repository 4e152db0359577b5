using System.Buffers.Binary;
using System.IO.Compression;

namespace ArpgIlgpu.Imaging;

/// <summary>
/// Tells whether a PNG holds its whole image. ImageSharp decodes a PNG cut short (IDAT chunks
/// missing, a zlib stream that ends after half the rows) without complaint, the missing rows
/// black; so every chunk is walked (length, type, data, CRC), IEND must end the file, and the
/// IDAT data, inflated, must give exactly the scanlines that IHDR's size asks for.
/// </summary>
internal static class PngEndCheck
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // Adam7's seven passes: (x0, y0, dx, dy) of the pixels each one holds.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7Passes =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Null when <paramref name="png"/> is complete, else what is missing or broken.</summary>
    public static string? Problem(ReadOnlySpan<byte> png)
    {
        if (!png.StartsWith(Signature))
            return "no PNG signature";
        var idat = new MemoryStream();
        long expected = -1;
        for (int at = Signature.Length; ;)
        {
            if (png.Length - at < 12)
                return "the file ends inside a chunk (no IEND chunk)";
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[at..]);
            if (length > png.Length - at - 12)
                return "the file ends inside a chunk (no IEND chunk)";
            ReadOnlySpan<byte> typeAndData = png.Slice(at + 4, 4 + (int)length);
            var crc = new Crc32();
            crc.Append(typeAndData);
            if (crc.Value != BinaryPrimitives.ReadUInt32BigEndian(png[(at + 8 + (int)length)..]))
                return $"chunk {System.Text.Encoding.ASCII.GetString(typeAndData[..4])} at byte {at} fails its CRC";
            ReadOnlySpan<byte> type = typeAndData[..4], data = typeAndData[4..];
            if (type.SequenceEqual("IHDR"u8))
                expected = data.Length == 13 ? ScanlineBytes(data) : -1;
            else if (type.SequenceEqual("IDAT"u8))
                idat.Write(data);
            else if (type.SequenceEqual("IEND"u8))
                break;
            at += 12 + (int)length;
        }
        if (expected < 0)
            return "no valid IHDR chunk";
        // More is no loss (ImageSharp's own encoder writes filter bytes for Adam7 passes that hold no pixels).
        long inflated = InflatedLength(idat, expected);
        return inflated >= expected ? null
            : $"its image data inflates to {inflated} of the {expected} bytes its {Describe(png)} needs (rows missing)";
    }

    /// <summary>The bytes of filtered scanlines (a filter byte, then the row) that IHDR's size and pixel format need.</summary>
    private static long ScanlineBytes(ReadOnlySpan<byte> ihdr)
    {
        long width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        int bitDepth = ihdr[8], channels = ihdr[9] switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        long bitsPerPixel = (long)bitDepth * channels;
        if (bitsPerPixel == 0)
            return -1;
        long Rows(long w, long h) => w > 0 && h > 0 ? h * (1 + (w * bitsPerPixel + 7) / 8) : 0;
        if (ihdr[12] == 0)
            return Rows(width, height);
        return Adam7Passes.Sum(p => Rows((width - p.X0 + p.Dx - 1) / p.Dx, (height - p.Y0 + p.Dy - 1) / p.Dy));
    }

    /// <summary>"37x2 pixels" from the IHDR chunk, which follows the signature.</summary>
    private static string Describe(ReadOnlySpan<byte> png) =>
        $"{BinaryPrimitives.ReadUInt32BigEndian(png[16..])}x{BinaryPrimitives.ReadUInt32BigEndian(png[20..])} pixels";

    /// <summary>How many bytes the zlib stream inflates to, counting no further than <paramref name="expected"/>.</summary>
    private static long InflatedLength(MemoryStream zlib, long expected)
    {
        zlib.Position = 0;
        var buffer = new byte[1 << 16];
        long total = 0;
        try
        {
            using var inflate = new ZLibStream(zlib, CompressionMode.Decompress);
            for (int read; total < expected && (read = inflate.Read(buffer)) > 0;)
                total += read;
        }
        catch (InvalidDataException)
        {
            // a damaged or cut stream: what inflated before the damage is what counts
        }
        return total;
    }
}
