using System.Buffers.Binary;

namespace ArpgIlgpu.Imaging;

/// <summary>
/// Tells whether an uncompressed BMP holds all its pixel rows. ImageSharp decodes a BMP cut short
/// without complaint (the missing rows black); the header gives where the pixels start and the
/// row stride, so the file's length proves them present. RLE-compressed BMPs have no fixed
/// length and are left to the decoder.
/// </summary>
internal static class BmpEndCheck
{
    private const int FileHeaderBytes = 14;
    private const uint Uncompressed = 0, BitFields = 3, AlphaBitFields = 6;

    /// <summary>Null when <paramref name="bmp"/> holds every row (or is compressed), else what is missing.</summary>
    public static string? Problem(ReadOnlySpan<byte> bmp)
    {
        if (bmp.Length < FileHeaderBytes + 16)
            return "the file ends inside its header";
        long pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        uint infoSize = BinaryPrimitives.ReadUInt32LittleEndian(bmp[FileHeaderBytes..]);
        long width, height;
        int bitsPerPixel;
        uint compression = Uncompressed;
        if (infoSize == 12)
        {
            // OS/2 BITMAPCOREHEADER: 16-bit sides
            width = BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(bmp[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bmp[24..]);
        }
        else
        {
            if (bmp.Length < FileHeaderBytes + 20)
                return "the file ends inside its header";
            width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bmp[22..])); // negative: rows top-down
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(bmp[30..]);
        }
        if (compression is not (Uncompressed or BitFields or AlphaBitFields))
            return null;
        long stride = (width * bitsPerPixel + 31) / 32 * 4; // rows are padded to 4 bytes
        long needed = pixelOffset + stride * height;
        return bmp.Length >= needed ? null
            : $"the pixel rows need {needed} bytes, the file has {bmp.Length} (rows missing)";
    }
}
