using System.Buffers.Binary;
using System.Text;

namespace ArpgIlgpu.Checkpoints;

/// <summary>One file inside a zip archive: where its bytes start and how many there are.</summary>
internal readonly record struct ZipEntry(string Name, int Method, long DataOffset, long CompressedSize, long Size);

/// <summary>
/// The table of contents of a zip archive (the container torch.save has written since PyTorch 1.6),
/// read from the central directory at the end of the file, with zip64 records for archives over
/// 4 GB. Only the directory and the local headers are read; entry data stays in the file until asked
/// for. Sizes come from the central directory because torch writes its local headers with a data
/// descriptor (flag bit 3) and zero sizes there. Every count and offset is checked against the
/// bytes actually present before anything is allocated for it.
/// </summary>
internal sealed class ZipIndex
{
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndOfDirectorySignature = 0x06054b50;
    private const uint Zip64EndOfDirectorySignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const int EndOfDirectorySize = 22, Zip64LocatorSize = 20, Zip64EndOfDirectorySize = 56;
    private const int CentralHeaderSize = 46, LocalHeaderSize = 30;
    private const int MethodStored = 0;

    private readonly ByteSource _source;
    private readonly Dictionary<string, ZipEntry> _byName;

    private ZipIndex(ByteSource source, List<ZipEntry> entries)
    {
        _source = source;
        Entries = entries;
        _byName = new Dictionary<string, ZipEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
            if (!_byName.TryAdd(entry.Name, entry))
                throw source.Error($"zip archive lists '{entry.Name}' twice");
    }

    /// <summary>The entries in central-directory order.</summary>
    public IReadOnlyList<ZipEntry> Entries { get; }

    /// <summary>Finds an entry by its full name.</summary>
    public bool TryFind(string name, out ZipEntry entry) => _byName.TryGetValue(name, out entry);

    /// <summary>The bytes of an uncompressed entry (compressed entries are refused, naming the entry).</summary>
    public ReadOnlySpan<byte> Data(ZipEntry entry)
    {
        RequireStored(entry);
        return _source.Read(entry.DataOffset, entry.Size, $"zip entry '{entry.Name}'");
    }

    /// <summary>Refuses a compressed entry, naming it: its bytes cannot be read in place.</summary>
    public void RequireStored(ZipEntry entry)
    {
        if (entry.Method != MethodStored)
            throw _source.Error($"zip entry '{entry.Name}' is compressed (method {entry.Method}); only stored " +
                                "(uncompressed) entries are read, as torch.save writes them");
    }

    /// <summary>Reads the central directory of the archive in <paramref name="source"/>.</summary>
    public static ZipIndex Read(ByteSource source)
    {
        long end = FindEndOfDirectory(source);
        ReadOnlySpan<byte> eocd = source.Read(end, EndOfDirectorySize, "zip end-of-directory record");
        if (U16(eocd, 4) != 0 || U16(eocd, 6) != 0)
            throw source.Error("multi-volume zip archives are not supported");
        long count = U16(eocd, 10), directorySize = U32(eocd, 12), directoryOffset = U32(eocd, 16);
        long directoryLimit = end;

        if (end >= Zip64LocatorSize &&
            U32(source.Read(end - Zip64LocatorSize, 4, "zip64 locator"), 0) == Zip64LocatorSignature)
        {
            ReadOnlySpan<byte> locator = source.Read(end - Zip64LocatorSize, Zip64LocatorSize, "zip64 locator");
            long recordOffset = I64(locator, 8, source, "zip64 record offset");
            ReadOnlySpan<byte> record = source.Read(recordOffset, Zip64EndOfDirectorySize, "zip64 end-of-directory record");
            if (U32(record, 0) != Zip64EndOfDirectorySignature)
                throw source.Error($"zip64 locator points at byte {recordOffset}, which holds no zip64 record");
            count = I64(record, 32, source, "zip64 entry count");
            directorySize = I64(record, 40, source, "zip64 directory size");
            directoryOffset = I64(record, 48, source, "zip64 directory offset");
            directoryLimit = recordOffset;
        }

        if (directoryOffset > directoryLimit || directorySize > directoryLimit - directoryOffset)
            throw source.Error($"zip central directory (bytes {directoryOffset}..{directoryOffset + directorySize}) " +
                               "lies outside the file: truncated or not a zip archive");
        if (count > directorySize / CentralHeaderSize)
            throw source.Error($"zip directory claims {count} entries but has room for at most {directorySize / CentralHeaderSize}");

        ReadOnlySpan<byte> directory = source.Read(directoryOffset, directorySize, "zip central directory");
        var entries = new List<ZipEntry>((int)count);
        int at = 0;
        for (long i = 0; i < count; i++)
            entries.Add(ReadCentralHeader(source, directory, ref at));
        return new ZipIndex(source, entries);
    }

    // The end-of-directory record is the last 22 bytes, unless an archive comment (up to 64 KB) follows it.
    private static long FindEndOfDirectory(ByteSource source)
    {
        if (source.Length < EndOfDirectorySize)
            throw source.Error($"too short ({source.Length} bytes) to be a zip archive");
        long searchFrom = Math.Max(0, source.Length - EndOfDirectorySize - ushort.MaxValue);
        ReadOnlySpan<byte> tail = source.Read(searchFrom, source.Length - searchFrom, "zip tail");
        for (int at = tail.Length - EndOfDirectorySize; at >= 0; at--)
            if (U32(tail, at) == EndOfDirectorySignature)
                return searchFrom + at;
        throw source.Error("no zip end-of-directory record: the file is truncated or not a zip archive");
    }

    private static ZipEntry ReadCentralHeader(ByteSource source, ReadOnlySpan<byte> directory, ref int at)
    {
        if (directory.Length - at < CentralHeaderSize || U32(directory, at) != CentralHeaderSignature)
            throw source.Error($"zip central directory is damaged at entry offset {at}");
        ReadOnlySpan<byte> header = directory.Slice(at, CentralHeaderSize);
        int flags = U16(header, 8), method = U16(header, 10);
        long compressed = U32(header, 20), size = U32(header, 24), localOffset = U32(header, 42);
        int nameLength = U16(header, 28), extraLength = U16(header, 30), commentLength = U16(header, 32);
        int total = CentralHeaderSize + nameLength + extraLength + commentLength;
        if (directory.Length - at < total)
            throw source.Error($"zip central directory is truncated at entry offset {at}");
        ReadOnlySpan<byte> nameBytes = directory.Slice(at + CentralHeaderSize, nameLength);
        string name = DecodeName(source, nameBytes, flags);
        if ((flags & 1) != 0)
            throw source.Error($"zip entry '{name}' is encrypted");

        // Zip64: a 32-bit field of all ones means "the real value is in the 0x0001 extra field", in this order.
        ReadOnlySpan<byte> extra = directory.Slice(at + CentralHeaderSize + nameLength, extraLength);
        for (int e = 0; e + 4 <= extra.Length;)
        {
            int id = U16(extra, e), length = U16(extra, e + 2);
            if (e + 4 + length > extra.Length)
                throw source.Error($"zip entry '{name}' has a malformed extra field");
            if (id == 1)
            {
                ReadOnlySpan<byte> field = extra.Slice(e + 4, length);
                int f = 0;
                size = Zip64Value(source, name, field, ref f, size);
                compressed = Zip64Value(source, name, field, ref f, compressed);
                localOffset = Zip64Value(source, name, field, ref f, localOffset);
            }
            e += 4 + length;
        }
        at += total;

        ReadOnlySpan<byte> local = source.Read(localOffset, LocalHeaderSize, $"local header of zip entry '{name}'");
        if (U32(local, 0) != LocalHeaderSignature)
            throw source.Error($"zip entry '{name}': no local header at byte {localOffset}");
        int localNameLength = U16(local, 26), localExtraLength = U16(local, 28);
        ReadOnlySpan<byte> localName = source.Read(localOffset + LocalHeaderSize, localNameLength, $"name of zip entry '{name}'");
        if (!localName.SequenceEqual(nameBytes))
            throw source.Error($"zip entry '{name}': its local header names a different file");
        long dataOffset = localOffset + LocalHeaderSize + localNameLength + localExtraLength;
        if (method == MethodStored && compressed != size)
            throw source.Error($"zip entry '{name}' is stored but its sizes differ ({compressed} vs {size})");
        source.RequireInside(dataOffset, compressed, $"zip entry '{name}'");
        return new ZipEntry(name, method, dataOffset, compressed, size);
    }

    private static long Zip64Value(ByteSource source, string name, ReadOnlySpan<byte> field, ref int at, long value)
    {
        if (value != uint.MaxValue)
            return value;
        if (at + 8 > field.Length)
            throw source.Error($"zip entry '{name}' has a truncated zip64 extra field");
        long result = I64(field, at, source, $"zip64 size of '{name}'");
        at += 8;
        return result;
    }

    private static string DecodeName(ByteSource source, ReadOnlySpan<byte> bytes, int flags)
    {
        const int Utf8Flag = 1 << 11;
        if ((flags & Utf8Flag) == 0)
            return Encoding.Latin1.GetString(bytes);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw source.Error("a zip entry name is not valid UTF-8");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static int U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

    private static long I64(ReadOnlySpan<byte> s, int at, ByteSource source, string what)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);
        if (value > long.MaxValue)
            throw source.Error($"{what} ({value}) is out of range");
        return (long)value;
    }
}
