using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// One mutated checkpoint: what was done to it, its bytes, and the length of the part a reader
/// decodes into objects (the pickle of a torch.save archive, the JSON header of a safetensors file)
/// as the mutator built it.
/// </summary>
public readonly record struct Mutation(string Kind, ReadOnlyMemory<byte> Bytes, int StructureLength);

/// <summary>
/// Makes mutated copies of a well-formed checkpoint for the fuzz tests, aimed at the places a
/// reader trusts: byte flips and truncations anywhere; for torch.save archives, the pickle's
/// opcodes and memo indices (edited in place, or rewritten and re-zipped), zip header fields,
/// swapped or missing entries, short storages and pickle bombs; for safetensors, the header
/// length, the numbers and strings of the JSON header, and JSON bombs. Deterministic for a seed.
/// </summary>
public sealed class CheckpointMutator
{
    // Every opcode of pickle protocols 0-5, so opcode swaps reach the rare ones too.
    private static readonly byte[] Opcodes = "(.0123FIJKLMNPQRSTUVXabcdeghijlopqrstu}])GB"u8.ToArray()
        .Concat(Enumerable.Range(0x80, 0x19).Select(b => (byte)b)).ToArray();

    private static readonly long[] InterestingValues =
        [0, 1, 2, 7, 8, 255, 256, 65535, 65536, int.MaxValue, uint.MaxValue, 1L << 32, 1L << 60, long.MaxValue, -1];

    private readonly Random _random;
    private readonly byte[] _original;
    private readonly bool _isZip;
    private readonly List<(string Name, byte[] Data, uint Crc)> _entries = [];
    private readonly int _pickleEntry = -1;
    private readonly int _pickleStart, _pickleLength;    // where data.pkl lies inside _original
    private readonly int _headerLength;                  // safetensors: the JSON header's length
    private readonly byte[] _buffer;                     // in-place mutations are made here

    /// <summary>Prepares to mutate <paramref name="original"/> (a torch.save zip or a safetensors file).</summary>
    public CheckpointMutator(byte[] original, int seed)
    {
        _random = new Random(seed);
        _original = original;
        _buffer = new byte[original.Length];
        _isZip = original[0] == 'P' && original[1] == 'K';
        if (_isZip)
        {
            // the entries as the BCL's zip reader sees them, not as the code under test does
            using var zip = new ZipArchive(new MemoryStream(original), ZipArchiveMode.Read);
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                using var data = new MemoryStream();
                using (Stream stream = entry.Open())
                    stream.CopyTo(data);
                if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                    _pickleEntry = _entries.Count;
                _entries.Add((entry.FullName, data.ToArray(), entry.Crc32));
            }
            byte[] pickle = _entries[_pickleEntry].Data;
            _pickleStart = original.AsSpan().IndexOf(pickle);
            _pickleLength = pickle.Length;
        }
        else
        {
            _headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        }
    }

    /// <summary>The length of the pickle (torch.save) or JSON header (safetensors) of the original.</summary>
    public int StructureLength => _isZip ? _pickleLength : _headerLength;

    /// <summary>The next mutated input. In-place mutations reuse one buffer: use it before asking for the next.</summary>
    public Mutation Next() => _isZip ? NextZip() : NextSafeTensors();

    private Mutation NextZip() => _random.Next(13) switch
    {
        0 => InPlace("flip", b => Flip(b, 0, b.Length)),
        1 => InPlace("pickle-flip", b => Flip(b, _pickleStart, _pickleLength)),
        2 => InPlace("pickle-opcode", b => b[_pickleStart + _random.Next(_pickleLength)] = Pick(Opcodes)),
        3 => InPlace("pickle-memo-index", MutateMemoIndex),
        4 => InPlace("zip-field", MutateZipField),
        5 => InPlace("zip-swap-offsets", SwapCentralOffsets),
        6 => new("truncate", _original.AsMemory(0, _random.Next(_original.Length)), StructureLength),
        7 => new("insert-delete", InsertOrDelete(_original, 0, _original.Length), StructureLength + 64),
        8 => Rezip("pickle-rewrite", InsertOrDelete(OriginalPickle, 0, _pickleLength)),
        9 => Rezip("pickle-truncate", OriginalPickle[.._random.Next(_pickleLength)]),
        10 => PickleBomb(),
        11 => RezipStorage(),
        _ => RezipEntries(),
    };

    private byte[] OriginalPickle => _entries[_pickleEntry].Data;

    private Mutation NextSafeTensors() => _random.Next(8) switch
    {
        0 => InPlace("flip", b => Flip(b, 0, b.Length)),
        1 => InPlace("header-flip", b => Flip(b, 8, _headerLength)),
        2 => InPlace("header-length", b => BinaryPrimitives.WriteInt64LittleEndian(b, Interesting(_headerLength))),
        3 => new("truncate", _original.AsMemory(0, _random.Next(_original.Length)), StructureLength),
        4 => new("insert-delete", InsertOrDelete(_original, 0, _original.Length), StructureLength + 64),
        5 => Reheader("json-number", ReplaceNumber),
        6 => Reheader("json-token", ReplaceToken),
        _ => Reheader("json-bomb", JsonBomb),
    };

    // ---- byte-level ----

    private Mutation InPlace(string kind, Action<byte[]> mutate)
    {
        _original.CopyTo(_buffer, 0);
        mutate(_buffer);
        return new(kind, _buffer, StructureLength);
    }

    private void Flip(byte[] bytes, int start, int length)
    {
        for (int n = 1 + _random.Next(4); n > 0; n--)
            bytes[start + _random.Next(length)] = (byte)_random.Next(256);
    }

    // Inserts random bytes at, or deletes a few bytes from, a random place in [start, start + length).
    private byte[] InsertOrDelete(byte[] bytes, int start, int length)
    {
        int at = start + _random.Next(length), count = 1 + _random.Next(64);
        if (_random.Next(2) == 0)
        {
            count = Math.Min(count, start + length - at);
            return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + count)];
        }
        var inserted = new byte[count];
        _random.NextBytes(inserted);
        return [.. bytes.AsSpan(0, at), .. inserted, .. bytes.AsSpan(at)];
    }

    private long Interesting(long near) => _random.Next(3) switch
    {
        0 => Pick(InterestingValues),
        1 => near + _random.Next(-9, 10),
        _ => _random.NextInt64(),
    };

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    // ---- torch.save archives ----

    // BINGET/BINPUT take a 1-byte memo index: point one at a slot that may never have been stored.
    private void MutateMemoIndex(byte[] bytes)
    {
        for (int tries = 0; tries < 64; tries++)
        {
            int at = _pickleStart + _random.Next(_pickleLength - 1);
            if (bytes[at] is (byte)'h' or (byte)'q')
            {
                bytes[at + 1] = (byte)_random.Next(256);
                return;
            }
        }
    }

    // A size, count, offset or length field of a local header, central header or end record.
    private void MutateZipField(byte[] bytes)
    {
        (byte[] Signature, int[] Fields)[] records =
        [
            ("PK\x03\x04"u8.ToArray(), [14, 18, 22, 26, 28]),
            ("PK\x01\x02"u8.ToArray(), [8, 10, 20, 24, 28, 30, 32, 42]),
            ("PK\x05\x06"u8.ToArray(), [8, 10, 12, 16, 20]),
        ];
        var (signature, fields) = Pick(records);
        int found = NthOccurrence(bytes, signature);
        if (found < 0)
            return;
        int at = found + Pick(fields);
        int width = Pick(new[] { 2, 4, 4, 8 });
        if (at + width > bytes.Length)
            return;
        long value = Interesting(width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)));
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(field, value);
        field[..width].CopyTo(bytes.AsSpan(at));
    }

    // Two central directory records trade their local-header offsets: each name points at the other's data.
    private void SwapCentralOffsets(byte[] bytes)
    {
        int a = NthOccurrence(bytes, "PK\x01\x02"u8.ToArray()), b = NthOccurrence(bytes, "PK\x01\x02"u8.ToArray());
        if (a < 0 || b < 0 || a + 46 > bytes.Length || b + 46 > bytes.Length)
            return;
        uint offsetA = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(a + 42));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(a + 42), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(b + 42)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(b + 42), offsetA);
    }

    // A random occurrence of the signature in the tail (central directory) or anywhere.
    private int NthOccurrence(byte[] bytes, byte[] signature)
    {
        var found = new List<int>();
        for (int at = bytes.AsSpan().IndexOf(signature); at >= 0;)
        {
            found.Add(at);
            int next = bytes.AsSpan(at + 1).IndexOf(signature);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return found.Count == 0 ? -1 : found[_random.Next(found.Count)];
    }

    private Mutation Rezip(string kind, byte[] pickle)
    {
        var zip = new ZipBuilder();
        for (int i = 0; i < _entries.Count; i++)
            if (i == _pickleEntry)
                zip.Add(_entries[i].Name, pickle);
            else
                zip.Add(_entries[i].Name, _entries[i].Data, crc: _entries[i].Crc);
        return new(kind, zip.ToArray(), pickle.Length);
    }

    // One storage shorter than the tensors on it need, or missing.
    private Mutation RezipStorage()
    {
        int victim = _random.Next(_entries.Count);
        bool drop = _random.Next(4) == 0;
        var zip = new ZipBuilder();
        for (int i = 0; i < _entries.Count; i++)
            if (i != victim)
                zip.Add(_entries[i].Name, _entries[i].Data, crc: _entries[i].Crc);
            else if (!drop)
                zip.Add(_entries[i].Name, _entries[i].Data[.._random.Next(_entries[i].Data.Length + 1)]);
        return new(drop ? "storage-missing" : "storage-short", zip.ToArray(), StructureLength);
    }

    // The entries shuffled, one duplicated or one renamed.
    private Mutation RezipEntries()
    {
        var entries = _entries.OrderBy(_ => _random.Next()).ToList();
        int pick = _random.Next(entries.Count);
        if (_random.Next(2) == 0)
            entries.Add(entries[pick]);
        else
            entries[pick] = entries[pick] with { Name = entries[pick].Name + "x" };
        var zip = new ZipBuilder();
        foreach (var (name, data, crc) in entries)
            zip.Add(name, data, crc: crc);
        return new("zip-entries", zip.ToArray(), StructureLength);
    }

    // Pickle bombs: deep nesting, huge counts, memo floods, repeated calls on a memoized argument,
    // operands claiming gigabytes. Each leaves at most one extra value on the stack.
    private static readonly (string Name, byte[] Bytes)[] Bombs = MakeBombs();

    private static (string, byte[])[] MakeBombs()
    {
        const int N = 100_000;
        static byte[] Repeat(ReadOnlySpan<byte> unit, int times)
        {
            var bytes = new byte[unit.Length * times];
            for (int i = 0; i < times; i++)
                unit.CopyTo(bytes.AsSpan(i * unit.Length));
            return bytes;
        }
        // OrderedDict called again and again on one memoized list of 1000 pairs
        var callFlood = new PickleBuilder().Global("collections", "OrderedDict").Put(1).EmptyList();
        for (int i = 0; i < 1000; i++)
            callFlood.String($"k{i}").None().Tuple2().Append();
        callFlood.Tuple1().Put(2).Op((byte)'0');
        callFlood.Raw(Repeat("h\x01h\x02R0"u8, 20_000));
        return
        [
            ("marks", Repeat("("u8, N)),
            ("deep-list", [.. Repeat("]"u8, N), .. Repeat("a"u8, N - 1)]),
            ("deep-tuple", [(byte)')', .. Repeat([0x85], N)]),
            ("memo-flood", [(byte)'}', .. Repeat([0x94], N)]),
            ("many-dicts", [(byte)'(', .. Repeat("}q\x01h\x01"u8, N / 4), (byte)'l']),
            ("call-flood", callFlood.ToArray()),
            ("2GB-string", [(byte)'X', .. BitConverter.GetBytes(int.MaxValue)]),
            ("2GB-long", [0x8b, .. BitConverter.GetBytes(int.MaxValue - 1)]),
        ];
    }

    // A bomb spliced into the pickle at a random place, or right after PROTO.
    private Mutation PickleBomb()
    {
        var (name, bomb) = Pick(Bombs);
        byte[] pickle = OriginalPickle;
        int at = _random.Next(3) == 0 ? 2 : _random.Next(pickle.Length);
        return Rezip($"pickle-bomb:{name}", [.. pickle.AsSpan(0, at), .. bomb, .. pickle.AsSpan(at)]);
    }

    // ---- safetensors ----

    private Mutation Reheader(string kind, Func<string, string> mutate)
    {
        string header = Encoding.UTF8.GetString(_original, 8, _headerLength);
        byte[] mutated = Encoding.UTF8.GetBytes(mutate(header));
        long length = _random.Next(5) == 0 ? _headerLength : mutated.Length; // sometimes keep the stale length
        var bytes = new byte[8 + mutated.Length + (_original.Length - 8 - _headerLength)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, length);
        mutated.CopyTo(bytes, 8);
        _original.AsSpan(8 + _headerLength).CopyTo(bytes.AsSpan(8 + mutated.Length));
        return new(kind, bytes, mutated.Length);
    }

    // A number in the header (a shape entry or a data offset) replaced by another.
    private string ReplaceNumber(string header)
    {
        int at = RandomIndexWhere(header, char.IsAsciiDigit);
        if (at < 0)
            return header;
        int end = at;
        while (at > 0 && char.IsAsciiDigit(header[at - 1]))
            at--;
        while (end < header.Length && char.IsAsciiDigit(header[end]))
            end++;
        long original = long.TryParse(header[at..end], out long v) ? v : 0;
        string replacement = _random.Next(6) == 0
            ? Pick(new[] { "-1", "1e300", "0.5", "18446744073709551616", "null", "\"7\"" })
            : Interesting(original).ToString();
        return header[..at] + replacement + header[end..];
    }

    // A dtype name, a quote, a bracket or a separator replaced.
    private string ReplaceToken(string header)
    {
        if (_random.Next(2) == 0)
        {
            string[] dtypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "I8", "U8", "BOOL", "F8_E4M3", "X", ""];
            foreach (string dtype in dtypes.OrderBy(_ => _random.Next()))
            {
                int found = header.IndexOf($"\"{dtype}\"", StringComparison.Ordinal);
                if (found >= 0 && dtype.Length > 0)
                    return header[..(found + 1)] + Pick(dtypes) + header[(found + 1 + dtype.Length)..];
            }
        }
        int at = RandomIndexWhere(header, c => c is '"' or '{' or '}' or '[' or ']' or ',' or ':');
        return at < 0 ? header : header[..at] + Pick(new[] { "", "\"", "{", "}", "[", "]", ",", ":", "\\", "\u00e9" }) + header[(at + 1)..];
    }

    // Deep nesting or a huge metadata map in front of the tensors.
    private string JsonBomb(string header)
    {
        int depth = _random.Next(2) == 0 ? 64 : 100_000;
        string value = _random.Next(2) == 0
            ? new string('[', depth) + new string(']', depth)
            : "{" + string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"\"m{i}\":\"v\"")) + "}";
        return "{\"__metadata__\":" + value + "," + header[1..];
    }

    private int RandomIndexWhere(string text, Func<char, bool> predicate)
    {
        for (int tries = 0; tries < 256; tries++)
        {
            int at = _random.Next(text.Length);
            if (predicate(text[at]))
                return at;
        }
        return -1;
    }
}
