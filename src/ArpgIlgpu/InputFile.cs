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
    /// otherwise (see <see cref="Refused"/>: the error names <paramref name="parameter"/> when given).
    /// </summary>
    public static FileKind RequireReadable(string path, string? parameter = null)
    {
        FileKind kind = FileKinds.Of(path);
        return kind switch
        {
            FileKind.Regular or FileKind.Pipe => kind,
            FileKind.Missing => throw Refused(path, parameter, "no such file"),
            _ => throw Refused(path, parameter, $"is {FileKinds.Describe(kind)}, not a regular file"),
        };
    }

    /// <summary>
    /// The error for <paramref name="path"/>: an <see cref="InvalidParameterException"/> naming the
    /// API's <paramref name="parameter"/> that holds the path, or a message starting with the path.
    /// </summary>
    private static InvalidInputException Refused(string path, string? parameter, string problem, Exception? inner = null) =>
        parameter is null
            ? new InvalidInputException($"{path}: {problem}", inner)
            : new InvalidParameterException(parameter, path, problem, inner);

    /// <summary>
    /// The whole of <paramref name="path"/>, at most <paramref name="maxBytes"/> bytes (see the
    /// class summary); errors name <paramref name="parameter"/> as <see cref="RequireReadable"/>'s do.
    /// </summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string? parameter = null)
    {
        maxBytes = Math.Min(maxBytes, Array.MaxLength); // what one array holds
        FileKind kind = RequireReadable(path, parameter);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (kind == FileKind.Regular && stream.Length > maxBytes)
                throw Refused(path, parameter, $"{stream.Length} bytes, more than the {maxBytes} accepted");
            return ReadCapped(stream, maxBytes) ?? throw Refused(path, parameter, $"more than the {maxBytes} bytes accepted");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw Refused(path, parameter, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// The UTF-8 text of <paramref name="path"/> (a JSON file), read as <see cref="ReadAllBytes"/>
    /// does, without the byte-order mark that some Windows editors put first (JSON parsers refuse it).
    /// </summary>
    public static ReadOnlyMemory<byte> ReadUtf8(string path, long maxBytes, string? parameter = null)
    {
        byte[] bytes = ReadAllBytes(path, maxBytes, parameter);
        return bytes.AsSpan().StartsWith(Utf8ByteOrderMark) ? bytes.AsMemory(Utf8ByteOrderMark.Length) : bytes;
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, or null once it passes <paramref name="maxBytes"/>;
    /// in chunks, joined once at the end, so that a refused pipe costs no more than the cap.
    /// </summary>
    private static byte[]? ReadCapped(Stream stream, long maxBytes)
    {
        var chunks = new List<byte[]>();
        long total = 0;
        while (true)
        {
            var chunk = new byte[ChunkBytes];
            int filled = stream.ReadAtLeast(chunk, ChunkBytes, throwOnEndOfStream: false);
            total += filled;
            if (total > maxBytes)
                return null;
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
