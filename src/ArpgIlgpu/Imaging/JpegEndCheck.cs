namespace ArpgIlgpu.Imaging;

/// <summary>
/// Tells whether a JPEG stream reaches its end-of-image marker. ImageSharp decodes a JPEG cut
/// short without complaint (the missing rows come out grey), so a truncated download would be
/// encoded as if it were the user's picture; walking the marker segments finds the cut.
/// </summary>
internal static class JpegEndCheck
{
    private const int Marker = 0xFF, StartOfImage = 0xD8, EndOfImage = 0xD9, StartOfScan = 0xDA;

    /// <summary>
    /// Walks the segments (each marker FF xx, then a big-endian length that counts itself) and,
    /// after every start-of-scan header, the entropy-coded data, in which FF is followed only by
    /// 00 (a stuffed FF), D0-D7 (restart markers) or FF (fill). True when FF D9 is reached.
    /// </summary>
    public static bool IsComplete(Stream jpeg)
    {
        var s = new BufferedStream(jpeg, 1 << 16);
        if (ReadMarker(s) != StartOfImage)
            return false;
        int marker = ReadMarker(s);
        while (marker >= 0 && marker != EndOfImage)
        {
            if (!SkipSegment(s))
                return false;
            marker = marker == StartOfScan ? MarkerAfterScan(s) : ReadMarker(s);
        }
        return marker == EndOfImage;
    }

    /// <summary>Reads FF (any number of fill FFs) and the marker code; -1 when something else is there.</summary>
    private static int ReadMarker(Stream s)
    {
        if (s.ReadByte() != Marker)
            return -1;
        int code = s.ReadByte();
        while (code == Marker)
            code = s.ReadByte();
        return code;
    }

    /// <summary>Skips a segment's payload; false when the stream ends inside it.</summary>
    private static bool SkipSegment(Stream s)
    {
        int high = s.ReadByte(), low = s.ReadByte();
        if (high < 0 || low < 0)
            return false;
        for (int n = (high << 8 | low) - 2; n > 0; n--)
            if (s.ReadByte() < 0)
                return false;
        return true;
    }

    /// <summary>Reads scan data up to the next real marker and returns its code (-1 at the end of the stream).</summary>
    private static int MarkerAfterScan(Stream s)
    {
        for (int b = s.ReadByte(); b >= 0; b = s.ReadByte())
        {
            if (b != Marker)
                continue;
            int code = s.ReadByte();
            while (code == Marker)
                code = s.ReadByte();
            if (code != 0x00 && code is not (>= 0xD0 and <= 0xD7))
                return code;
        }
        return -1;
    }
}
