namespace ArpgIlgpu.Imaging;

/// <summary>
/// CRC-32 as zip archives (and PNG, gzip) use it: the reflected polynomial 0xEDB88320, initial
/// value and final xor 0xFFFFFFFF. Fed in pieces, so a file can be checksummed while it streams.
/// </summary>
internal sealed class Crc32
{
    private static readonly uint[] Table = BuildTable();
    private uint state = 0xFFFFFFFF;

    /// <summary>The checksum of everything appended so far.</summary>
    public uint Value => ~state;

    /// <summary>Adds bytes to the checksum (one table lookup per byte).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        uint c = state;
        foreach (byte b in data)
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        state = c;
    }

    /// <summary>The CRC of each single byte value: the polynomial division of 8 bits, done once.</summary>
    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
