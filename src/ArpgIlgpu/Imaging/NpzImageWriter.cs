using System.Buffers.Binary;
using System.Text;

namespace ArpgIlgpu.Imaging;

/// <summary>
/// Writes same-sized RGB images as the <c>.npz</c> file that <c>numpy.savez(path, arr_0=images)</c>
/// writes: a zip archive holding one stored (uncompressed) member, <c>arr_0.npy</c>, a uint8 array
/// [count, height, width, 3]. It is the input of the ADM evaluation suite (FID, IS, precision,
/// recall) that the ARPG paper reports, and what the official <c>sample_c2i_ddp.py</c> writes.
/// <para>
/// Images stream into the file one at a time (<see cref="Append"/>), so memory stays at one
/// image however many there are: 50 000 ImageNet samples at 256x256 are 9.8 GB, beyond the 4 GiB
/// of plain zip fields, so the member always carries zip64 sizes (as numpy's own writer does) and
/// the archive ends with zip64 records. The file appears at its path only on
/// <see cref="Commit"/> (temporary file + rename); disposing an uncommitted writer deletes it.
/// </para>
/// </summary>
public sealed class NpzImageWriter : IDisposable
{
    /// <summary>The archive member, as numpy names the first positional array.</summary>
    public const string MemberName = "arr_0.npy";

    private const uint LocalHeaderSignature = 0x04034b50, CentralHeaderSignature = 0x02014b50;
    private const uint Zip64EndSignature = 0x06064b50, Zip64LocatorSignature = 0x07064b50, EndSignature = 0x06054b50;
    private const ushort Zip64Version = 45; // "version needed to extract" for zip64 (APPNOTE 4.4.3)
    private const ushort Zip64ExtraId = 0x0001;
    private const int CrcOffset = 14; // of the local header's CRC field, patched at the end
    // 1980-01-01 00:00, the earliest DOS date: a fixed stamp keeps the file a pure function of the images.
    private const ushort DosTime = 0, DosDate = (0 << 9) | (1 << 5) | 1;

    private readonly string path, temporary;
    private readonly int count, height, width;
    private readonly long memberLength;
    private readonly FileStream file;
    private readonly Crc32 crc = new();
    private int appended;
    private bool committed;

    /// <summary>
    /// Starts <paramref name="path"/> for <paramref name="count"/> images of
    /// <paramref name="width"/> x <paramref name="height"/> pixels.
    /// </summary>
    public NpzImageWriter(string path, int count, int height, int width)
    {
        if (count < 1 || height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(count), $"an npz of {count} image(s) of {width}x{height}");
        this.path = path;
        this.count = count;
        this.height = height;
        this.width = width;
        byte[] npyHeader = NpyHeader(count, height, width);
        memberLength = npyHeader.Length + (long)count * height * width * 3;
        AtomicFile.RequireWritable(path);
        temporary = AtomicFile.TemporaryPathFor(path);
        file = Io(() => new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20));
        try
        {
            Io(() =>
            {
                file.Write(LocalHeader());
                Write(npyHeader);
            });
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Images appended so far.</summary>
    public int Count => appended;

    /// <summary>Appends the next image; it must have the size given to the constructor.</summary>
    public void Append(RgbImage image)
    {
        if (committed || appended == count)
            throw new InvalidOperationException($"{path}: all {count} images were already appended");
        if (image.Width != width || image.Height != height)
            throw new InvalidInputException(
                $"{path}: image {appended} is {image.Width}x{image.Height}, the archive holds {width}x{height} images");
        Io(() => Write(image.Pixels));
        appended++;
    }

    /// <summary>Writes the zip directory, fills in the checksum and moves the file to its path.</summary>
    public void Commit()
    {
        if (appended != count)
            throw new InvalidOperationException($"{path}: {appended} of {count} images appended");
        Io(() =>
        {
            long directoryOffset = file.Position;
            byte[] directory = CentralHeader();
            file.Write(directory);
            long zip64EndOffset = file.Position;
            file.Write(End(directory.Length, directoryOffset, zip64EndOffset));
            file.Position = CrcOffset;
            var crcBytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(crcBytes, crc.Value);
            file.Write(crcBytes);
            file.Flush(flushToDisk: true);
            file.Dispose();
            File.Move(temporary, Path.GetFullPath(path), overwrite: true);
        });
        committed = true;
    }

    /// <summary>Closes the file; without <see cref="Commit"/>, deletes it.</summary>
    public void Dispose()
    {
        file.Dispose();
        if (!committed && File.Exists(temporary))
            File.Delete(temporary);
    }

    /// <summary>
    /// NPY format 1.0: the magic "\x93NUMPY", version 1.0, a little-endian uint16 header length,
    /// then the array's description as a Python dict literal, padded with spaces and ended by a
    /// newline so that the data starts at a multiple of 64 bytes (numpy's alignment).
    /// </summary>
    internal static byte[] NpyHeader(int count, int height, int width)
    {
        const int prefix = 10; // magic (6) + version (2) + header length (2)
        string dict = $"{{'descr': '|u1', 'fortran_order': False, 'shape': ({count}, {height}, {width}, 3), }}";
        int padded = (prefix + dict.Length + 1 + 63) / 64 * 64 - prefix;
        string header = dict.PadRight(padded - 1) + "\n";
        var bytes = new byte[prefix + header.Length];
        bytes[0] = 0x93; // the magic: 0x93 then "NUMPY"
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1; // major version
        bytes[7] = 0; // minor version
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(prefix));
        return bytes;
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        crc.Append(data);
        file.Write(data);
    }

    /// <summary>
    /// The member's local header: stored, CRC filled in at the end, both 32-bit sizes 0xFFFFFFFF
    /// and the real ones in the zip64 extra field.
    /// </summary>
    private byte[] LocalHeader() => Record(w =>
    {
        w.Write(LocalHeaderSignature);
        w.Write(Zip64Version);
        w.Write((ushort)0); // flags
        w.Write((ushort)0); // method: stored
        w.Write(DosTime);
        w.Write(DosDate);
        w.Write(0u); // CRC-32, patched by Commit
        w.Write(uint.MaxValue); // compressed size: see zip64 extra
        w.Write(uint.MaxValue); // uncompressed size: see zip64 extra
        w.Write((ushort)MemberName.Length);
        w.Write((ushort)20); // extra field length
        w.Write(Encoding.ASCII.GetBytes(MemberName));
        Zip64Sizes(w);
    });

    /// <summary>The central directory: one entry, zip64 sizes as in the local header, the member at offset 0.</summary>
    private byte[] CentralHeader() => Record(w =>
    {
        w.Write(CentralHeaderSignature);
        w.Write(Zip64Version); // version made by
        w.Write(Zip64Version); // version needed
        w.Write((ushort)0); // flags
        w.Write((ushort)0); // method: stored
        w.Write(DosTime);
        w.Write(DosDate);
        w.Write(crc.Value);
        w.Write(uint.MaxValue); // compressed size: see zip64 extra
        w.Write(uint.MaxValue); // uncompressed size: see zip64 extra
        w.Write((ushort)MemberName.Length);
        w.Write((ushort)20); // extra field length
        w.Write((ushort)0); // comment length
        w.Write((ushort)0); // disk number
        w.Write((ushort)0); // internal attributes
        w.Write(0u); // external attributes
        w.Write(0u); // offset of the local header
        w.Write(Encoding.ASCII.GetBytes(MemberName));
        Zip64Sizes(w);
    });

    /// <summary>The zip64 extra field: tag, length, then the uncompressed and compressed sizes (equal: stored).</summary>
    private void Zip64Sizes(BinaryWriter w)
    {
        w.Write(Zip64ExtraId);
        w.Write((ushort)16);
        w.Write(memberLength);
        w.Write(memberLength);
    }

    /// <summary>
    /// The zip64 end-of-directory record, its locator, and the classic end record; a field of the
    /// classic record that cannot hold its value is all ones, which tells readers to use the zip64 one.
    /// </summary>
    private static byte[] End(long directorySize, long directoryOffset, long zip64EndOffset) => Record(w =>
    {
        w.Write(Zip64EndSignature);
        w.Write(44L); // size of the rest of this record
        w.Write(Zip64Version); // version made by
        w.Write(Zip64Version); // version needed
        w.Write(0u); // this disk
        w.Write(0u); // disk of the directory
        w.Write(1L); // entries on this disk
        w.Write(1L); // entries in all
        w.Write(directorySize);
        w.Write(directoryOffset);

        w.Write(Zip64LocatorSignature);
        w.Write(0u); // disk of the zip64 record
        w.Write(zip64EndOffset);
        w.Write(1u); // disks

        w.Write(EndSignature);
        w.Write((ushort)0); // this disk
        w.Write((ushort)0); // disk of the directory
        w.Write((ushort)1); // entries on this disk
        w.Write((ushort)1); // entries in all
        w.Write((uint)directorySize);
        w.Write((uint)Math.Min(directoryOffset, uint.MaxValue));
        w.Write((ushort)0); // comment length
    });

    /// <summary>The bytes <paramref name="write"/> produces (BinaryWriter writes little-endian, as zip wants).</summary>
    private static byte[] Record(Action<BinaryWriter> write)
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, Encoding.ASCII, leaveOpen: true))
            write(w);
        return bytes.ToArray();
    }

    /// <summary>Runs a file operation; I/O failures (a full disk) become an error naming the path.</summary>
    private T Io<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputWriteFailure.For(path, e);
        }
    }

    private void Io(Action operation) => Io(() =>
    {
        operation();
        return 0;
    });
}
