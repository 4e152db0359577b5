using System.Buffers.Binary;
using System.Text;

namespace ArpgIlgpu.Tests;

/// <summary>
/// Writes zip archives byte by byte for checkpoint tests: stored entries laid out as torch.save lays
/// them out (local header with flag bit 3 and zero sizes, data, data descriptor; central directory;
/// zip64 end records), optionally with zip64 extra fields on every entry or deflate-compressed
/// entries, so the readers can be tested on archives no Python was needed to make.
/// </summary>
public sealed class ZipBuilder
{
    private readonly List<(string Name, byte[] Data, bool Deflate, uint Crc)> _entries = [];

    /// <summary>Write every size and offset in a zip64 extra field (as archives over 4 GB must).</summary>
    public bool Zip64ExtraFields { get; init; }

    /// <summary>
    /// Adds an entry. <paramref name="crc"/>, when given, is the data's CRC-32, computed once by a
    /// caller that zips the same data many times (the fuzz test).
    /// </summary>
    public ZipBuilder Add(string name, byte[] data, bool deflate = false, uint? crc = null)
    {
        _entries.Add((name, data, deflate, crc ?? Crc32.Of(data)));
        return this;
    }

    /// <summary>The archive.</summary>
    public byte[] ToArray()
    {
        var file = new MemoryStream();
        var central = new MemoryStream();
        foreach (var (name, data, deflate, crc) in _entries)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            byte[] stored = deflate ? Deflate(data) : data;
            long localOffset = file.Length;
            ushort method = deflate ? (ushort)8 : (ushort)0;
            const ushort Flags = 0x0808; // data descriptor follows, UTF-8 names: what torch writes

            Write(file, 0x04034b50u, (ushort)45, Flags, method, 0u, 0u, 0u, 0u, (ushort)nameBytes.Length, (ushort)0);
            file.Write(nameBytes);
            file.Write(stored);
            Write(file, 0x08074b50u, crc, (uint)stored.Length, (uint)data.Length);

            byte[] extra = Zip64ExtraFields ? Zip64Extra(data.Length, stored.Length, localOffset) : [];
            uint Small(long v) => Zip64ExtraFields ? uint.MaxValue : (uint)v;
            Write(central, 0x02014b50u, (ushort)0x031e, (ushort)45, Flags, method, 0u, crc,
                Small(stored.Length), Small(data.Length), (ushort)nameBytes.Length, (ushort)extra.Length, (ushort)0,
                (ushort)0, (ushort)0, 0u, Small(localOffset));
            central.Write(nameBytes);
            central.Write(extra);
        }
        long directoryOffset = file.Length, directorySize = central.Length;
        central.Position = 0;
        central.CopyTo(file);

        long zip64Record = file.Length;
        Write(file, 0x06064b50u, 44UL, (ushort)0x031e, (ushort)45, 0u, 0u,
            (ulong)_entries.Count, (ulong)_entries.Count, (ulong)directorySize, (ulong)directoryOffset);
        Write(file, 0x07064b50u, 0u, (ulong)zip64Record, 1u);
        Write(file, 0x06054b50u, (ushort)0, (ushort)0, (ushort)_entries.Count, (ushort)_entries.Count,
            (uint)directorySize, (uint)directoryOffset, (ushort)0);
        return file.ToArray();
    }

    private static byte[] Zip64Extra(long size, long compressed, long offset)
    {
        var extra = new byte[4 + 24];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), 24);
        BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(4), size);
        BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(12), compressed);
        BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(20), offset);
        return extra;
    }

    private static byte[] Deflate(byte[] data)
    {
        var output = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(output, System.IO.Compression.CompressionLevel.Optimal))
            deflate.Write(data);
        return output.ToArray();
    }

    // Little-endian fields in order: ushort, uint and ulong values.
    private static void Write(Stream stream, params object[] fields)
    {
        Span<byte> buffer = stackalloc byte[8];
        foreach (object field in fields)
        {
            int size = field switch { ushort => 2, uint => 4, ulong => 8, _ => throw new ArgumentException(field.GetType().Name) };
            switch (field)
            {
                case ushort s: BinaryPrimitives.WriteUInt16LittleEndian(buffer, s); break;
                case uint u: BinaryPrimitives.WriteUInt32LittleEndian(buffer, u); break;
                case ulong l: BinaryPrimitives.WriteUInt64LittleEndian(buffer, l); break;
            }
            stream.Write(buffer[..size]);
        }
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected), as zip stores it.</summary>
public static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Of(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}
