using ArpgIlgpu.Runtime;
using System.IO.MemoryMappedFiles;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// The bytes of a checkpoint, read in place: a memory-mapped file (so a 5 GB checkpoint opens
/// without being read, and only the tensors asked for are ever touched) or an array in memory
/// (tests, fuzzing). Every read is bounds-checked here, in one place, against the real length.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string displayName) => DisplayName = displayName;

    /// <summary>The file as the user named it, for messages.</summary>
    public string DisplayName { get; }

    /// <summary>The number of bytes.</summary>
    public abstract long Length { get; }

    /// <summary>
    /// The bytes [offset, offset + length), valid until the source is disposed. Throws
    /// <see cref="CheckpointFormatException"/> naming <paramref name="what"/> when they lie outside.
    /// </summary>
    public ReadOnlySpan<byte> Span(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw Error($"{what} (bytes {offset}..{offset + length}) lies outside the file ({Length} bytes)");
        if (length > int.MaxValue)
            throw Error($"{what} is {length} bytes, more than one read can hold ({int.MaxValue})");
        return SpanUnchecked(offset, (int)length);
    }

    /// <summary>An exception for this file with the given problem.</summary>
    public CheckpointFormatException Error(string problem) => new(DisplayName, problem);

    protected abstract ReadOnlySpan<byte> SpanUnchecked(long offset, int length);

    public abstract void Dispose();

    /// <summary>
    /// Maps a regular file read-only; a pipe (<c>&lt;(cat x.pt)</c>), which cannot be mapped or
    /// seeked, is read into memory, at most <see cref="MaxPipeBytes"/>; anything else (a folder, a
    /// device), a missing or an unreadable file is bad input.
    /// </summary>
    public static ByteSource Map(string path)
    {
        if (InputFile.RequireReadable(path) == FileKind.Pipe)
            return new InMemory(InputFile.ReadAllBytes(path, MaxPipeBytes), path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidInputException($"{path}: cannot open: {e.Message}", e);
        }
        if (stream.Length == 0)
        {
            stream.Dispose();
            return new InMemory(ReadOnlyMemory<byte>.Empty, path); // an empty file cannot be mapped; the readers reject it
        }
        return new MappedFile(stream, path);
    }

    /// <summary>
    /// The most bytes read from a pipe: what one array holds, and at most half of the host's
    /// memory, so that the weights read from it still fit beside them.
    /// </summary>
    public static long MaxPipeBytes => Math.Min(Array.MaxLength, MemoryBudget.Host.Limit / 2);

    /// <summary>Reads from bytes in memory.</summary>
    public static ByteSource FromMemory(ReadOnlyMemory<byte> bytes, string displayName) => new InMemory(bytes, displayName);

    private sealed class InMemory(ReadOnlyMemory<byte> bytes, string displayName) : ByteSource(displayName)
    {
        public override long Length => bytes.Length;
        protected override ReadOnlySpan<byte> SpanUnchecked(long offset, int length) => bytes.Span.Slice((int)offset, length);
        public override void Dispose() { }
    }

    private sealed unsafe class MappedFile : ByteSource
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly long _length;
        private byte* _base;

        public MappedFile(FileStream stream, string displayName) : base(displayName)
        {
            _length = stream.Length;
            _file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
            _base += _view.PointerOffset;
        }

        public override long Length => _length;

        protected override ReadOnlySpan<byte> SpanUnchecked(long offset, int length)
        {
            ObjectDisposedException.ThrowIf(_base == null, this);
            return new ReadOnlySpan<byte>(_base + offset, length);
        }

        public override void Dispose()
        {
            if (_base == null)
                return;
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
