using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace ArpgIlgpu.Tests;

/// <summary>One uint8 array read from an .npz: its shape and its bytes (C order).</summary>
public sealed record NpyArray(int[] Shape, byte[] Data);

/// <summary>
/// Reads an .npz the way numpy and the ADM evaluator do, written independently of the library's
/// writer: the zip layer by .NET's ZipArchive (which follows zip64 records), the CRC-32 checked
/// bit by bit, and the NPY header parsed and checked field by field (magic, version 1.0, 64-byte
/// alignment, descr '|u1', fortran_order False, the shape).
/// </summary>
public static partial class NpzReader
{
    /// <summary>Reads member <paramref name="name"/>.npy, asserting that it is a well-formed uint8 array.</summary>
    public static NpyArray Read(string path, string name = "arr_0")
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        ZipArchiveEntry entry = zip.GetEntry($"{name}.npy") ?? throw new Xunit.Sdk.XunitException($"{path}: no {name}.npy");
        Assert.Equal(entry.Length, entry.CompressedLength); // stored, as numpy.savez writes
        var bytes = new byte[entry.Length];
        using (Stream s = entry.Open())
            s.ReadExactly(bytes);
        Assert.Equal(entry.Crc32, BitwiseCrc32(bytes));

        Assert.Equal([0x93, .. "NUMPY"u8], bytes[..6]);
        Assert.Equal((byte)1, bytes[6]); // format 1.0
        Assert.Equal((byte)0, bytes[7]);
        int headerLength = bytes[8] | bytes[9] << 8;
        int dataStart = 10 + headerLength;
        Assert.Equal(0, dataStart % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.EndsWith("\n", header);
        Match m = HeaderPattern().Match(header.TrimEnd());
        Assert.True(m.Success, $"not a uint8 C-order NPY header: {header}");
        int[] shape = m.Groups["shape"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        Assert.Equal(shape.Aggregate(1L, (a, d) => a * d), bytes.Length - dataStart);
        return new NpyArray(shape, bytes[dataStart..]);
    }

    /// <summary>CRC-32 (polynomial 0xEDB88320) one bit at a time: slow and obviously right.</summary>
    private static uint BitwiseCrc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0xEDB88320 & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    [GeneratedRegex(@"^\{'descr': '\|u1', 'fortran_order': False, 'shape': \((?<shape>[0-9, ]+)\), \}$")]
    private static partial Regex HeaderPattern();
}
