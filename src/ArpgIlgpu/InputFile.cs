namespace ArpgIlgpu;

/// <summary>
/// The one gate every file a user names passes before it is read (checkpoints, token, order and
/// config files, images, masks): a regular file is read when its length is within the reader's
/// cap; a pipe (<c>&lt;(cat x)</c>) is read through a buffer that stops at the cap; a folder, a
/// device (/dev/zero never ends) or a socket is refused in one line naming the file. Every read
/// stops at the cap even when the length lied, so no input can grow the process past it.
/// </summary>
public static class InputFile
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// The kind of <paramref name="path"/> when it may be read (a regular file or a pipe); throws
    /// an <see cref="InvalidInputException"/> starting with <paramref name="source"/> (default: the path) otherwise.
    /// </summary>
    public static FileKind RequireReadable(string path, string? source = null)
    {
        FileKind kind = FileKinds.Of(path);
        return kind switch
        {
            FileKind.Regular or FileKind.Pipe => kind,
            FileKind.Missing => throw new InvalidInputException($"{source ?? path}: no such file"),
            _ => throw new InvalidInputException($"{source ?? path}: is {FileKinds.Describe(kind)}, not a regular file"),
        };
    }

    /// <summary>
    /// The whole of <paramref name="path"/>, at most <paramref name="maxBytes"/> bytes (see the
    /// class summary); errors start with <paramref name="source"/> (default: the path).
    /// </summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string? source = null)
    {
        source ??= path;
        maxBytes = Math.Min(maxBytes, Array.MaxLength); // what one array holds
        FileKind kind = RequireReadable(path, source);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (kind == FileKind.Regular && stream.Length > maxBytes)
                throw new InvalidInputException($"{source}: {stream.Length} bytes, more than the {maxBytes} accepted");
            return ReadCapped(stream, maxBytes, source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new InvalidInputException($"{source}: cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// The UTF-8 text of <paramref name="path"/> (a JSON file), read as <see cref="ReadAllBytes"/>
    /// does, without the byte-order mark that some Windows editors put first (JSON parsers refuse it).
    /// </summary>
    public static ReadOnlyMemory<byte> ReadUtf8(string path, long maxBytes, string? source = null)
    {
        byte[] bytes = ReadAllBytes(path, maxBytes, source);
        return bytes.AsSpan().StartsWith(Utf8ByteOrderMark) ? bytes.AsMemory(Utf8ByteOrderMark.Length) : bytes;
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, refusing it once it passes <paramref name="maxBytes"/>;
    /// in chunks, joined once at the end, so that a refused pipe costs no more than the cap.
    /// </summary>
    internal static byte[] ReadCapped(Stream stream, long maxBytes, string source)
    {
        var chunks = new List<byte[]>();
        long total = 0;
        while (true)
        {
            var chunk = new byte[ChunkBytes];
            int filled = stream.ReadAtLeast(chunk, ChunkBytes, throwOnEndOfStream: false);
            total += filled;
            if (total > maxBytes)
                throw new InvalidInputException($"{source}: more than the {maxBytes} bytes accepted");
            chunks.Add(chunk);
            if (filled < ChunkBytes)
                break;
        }
        var all = new byte[total];
        for (int i = 0; i < chunks.Count; i++)
            chunks[i].AsSpan(0, (int)Math.Min(ChunkBytes, total - (long)i * ChunkBytes)).CopyTo(all.AsSpan(i * ChunkBytes));
        return all;
    }
}
