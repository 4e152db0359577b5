using ArpgIlgpu.Runtime;
using Microsoft.Win32.SafeHandles;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// The bytes of a checkpoint: a file read at offsets (so a 5 GB checkpoint opens without being
/// read, and only the tensors asked for are ever read) or an array in memory (pipes, tests,
/// fuzzing). Every read is bounds-checked here, in one place, against the real length. A file
/// is read with positioned reads into the caller's buffers, not mapped: the pages of a mapping
/// count in the process's resident memory for as long as it is mapped, so a mapped checkpoint
/// whose tensors were uploaded to a host-memory device (the CPU accelerator, PoCL) stayed
/// resident beside them, twice the weights (10.4 GB for a 5.2 GB ARPG-XXL checkpoint).
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string displayName) => DisplayName = displayName;

    /// <summary>The file as the user named it, for messages.</summary>
    public string DisplayName { get; }

    /// <summary>The number of bytes.</summary>
    public abstract long Length { get; }

    /// <summary>
    /// The bytes [offset, offset + length): for the small structures of an index (headers, zip
    /// directories, pickles); tensors are read with <see cref="ReadInto"/>. Throws
    /// <see cref="CheckpointFormatException"/> naming <paramref name="what"/> when they lie outside.
    /// </summary>
    public ReadOnlySpan<byte> Read(long offset, long length, string what)
    {
        RequireInside(offset, length, what);
        if (length > Array.MaxLength)
            throw Error($"{what} is {length} bytes, more than one read can hold ({Array.MaxLength})");
        return ReadUnchecked(offset, (int)length);
    }

    /// <summary>Fills <paramref name="destination"/> with the bytes from <paramref name="offset"/> on (bounds-checked as <see cref="Read"/>).</summary>
    public void ReadInto(long offset, Span<byte> destination, string what)
    {
        RequireInside(offset, destination.Length, what);
        ReadUnchecked(offset, destination);
    }

    /// <summary>Throws naming <paramref name="what"/> unless [offset, offset + length) lies inside the source.</summary>
    public void RequireInside(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw Error($"{what} (bytes {offset}..{offset + length}) lies outside the file ({Length} bytes)");
    }

    /// <summary>An exception for this file with the given problem.</summary>
    public CheckpointFormatException Error(string problem) => new(DisplayName, problem);

    protected abstract ReadOnlySpan<byte> ReadUnchecked(long offset, int length);

    protected abstract void ReadUnchecked(long offset, Span<byte> destination);

    public abstract void Dispose();

    /// <summary>
    /// Opens a regular file for reading; a pipe (<c>&lt;(cat x.pt)</c>), which cannot be seeked, is
    /// read into memory, at most <see cref="MaxPipeBytes"/>; anything else (a folder, a
    /// device), a missing or an unreadable file is bad input.
    /// </summary>
    public static ByteSource Open(string path)
    {
        if (InputFile.RequireReadable(path) == FileKind.Pipe)
            return new InMemory(InputFile.ReadAllBytes(path, MaxPipeBytes), path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidInputException($"{path}: cannot open: {e.Message}", e);
        }
        return new RegularFile(handle, path);
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
        protected override ReadOnlySpan<byte> ReadUnchecked(long offset, int length) => bytes.Span.Slice((int)offset, length);
        protected override void ReadUnchecked(long offset, Span<byte> destination) => ReadUnchecked(offset, destination.Length).CopyTo(destination);
        public override void Dispose() { }
    }

    /// <summary>A file read with positioned reads (pread), which leave nothing of it resident in this process.</summary>
    private sealed class RegularFile(SafeFileHandle handle, string displayName) : ByteSource(displayName)
    {
        private readonly long length = RandomAccess.GetLength(handle);

        public override long Length => length;

        protected override ReadOnlySpan<byte> ReadUnchecked(long offset, int count)
        {
            var bytes = new byte[count];
            ReadUnchecked(offset, bytes);
            return bytes;
        }

        protected override void ReadUnchecked(long offset, Span<byte> destination)
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            while (!destination.IsEmpty)
            {
                int read = RandomAccess.Read(handle, destination, offset);
                if (read == 0)
                    throw Error($"the file ended at byte {offset} while being read (was it truncated meanwhile?)");
                destination = destination[read..];
                offset += read;
            }
        }

        public override void Dispose() => handle.Dispose();
    }
}
