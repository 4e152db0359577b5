using System.Buffers.Binary;
using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// The checkpoint layouts found in the wild, built byte by byte: training checkpoints with an
/// argparse.Namespace, bare state dicts, DataParallel prefixes, bfloat16, big-endian storages,
/// transposed and shared storages, zip64 fields; and the safetensors writer.
/// </summary>
public class CheckpointVariantTests
{
    private static readonly float[] Values = [1.5f, -2.25f, 0.125f, 3f, -0.5f, 1024f];

    private static StateDict Open(TorchCheckpointBuilder builder) => StateDict.Open(builder.ToArray(), "built.pt");

    [Fact]
    public void TrainingCheckpointWithNamespaceArgsLoads()
    {
        using var sd = Open(new TorchCheckpointBuilder
        {
            Key = "model", TrainingArgs = true, Tensors = [BuiltTensor.Float32("w", Values, 2, 3)],
        });
        Assert.Equal("key 'model'", sd.FoundAt);
        Assert.Equal(["w"], sd.Names);
        Assert.Equal(Values, sd.ReadFloat32("w"));
    }

    [Fact]
    public void BareTopLevelStateDictLoads()
    {
        using var sd = Open(new TorchCheckpointBuilder { Key = null, Tensors = [BuiltTensor.Float32("a.weight", Values, 6)] });
        Assert.Equal("top level", sd.FoundAt);
        Assert.Equal([6], sd.Info("a.weight").Shape);
        Assert.Equal(Values, sd.ReadFloat32("a.weight"));
    }

    [Fact]
    public void ModuleKeyWithDataParallelPrefixesLoadsWithoutThem()
    {
        using var sd = Open(new TorchCheckpointBuilder
        {
            Key = "module",
            Tensors = [BuiltTensor.Float32("module.a", Values, 6), BuiltTensor.Float32("module._orig_mod.b", Values, 3, 2)],
        });
        Assert.Equal(["a", "b"], sd.Names);
        Assert.Equal([3, 2], sd.Info("b").Shape);
    }

    [Fact]
    public void NamesThatCollideAfterStrippingPrefixesAreRefused()
    {
        var builder = new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("module.a", Values, 6), BuiltTensor.Float32("a", Values, 6)],
        };
        var e = Assert.Throws<CheckpointFormatException>(() => Open(builder));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void BFloat16WidensExactly()
    {
        // bfloat16 is the upper half of a float32: these values have 7-bit mantissas, so they are exact
        byte[] storage = Values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray();
        using var sd = Open(new TorchCheckpointBuilder { Tensors = [new("bf", "BFloat16Storage", 2, storage, [6])] });
        Assert.Equal(DType.BFloat16, sd.Info("bf").DType);
        Assert.Equal(Values, sd.ReadFloat32("bf"));
    }

    [Fact]
    public void BigEndianStoragesAreByteSwapped()
    {
        byte[] floats = Values.SelectMany(v => { var b = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(b, v); return b; }).ToArray();
        long[] ints = [1, -2, 1L << 40];
        byte[] longs = ints.SelectMany(v => { var b = new byte[8]; BinaryPrimitives.WriteInt64BigEndian(b, v); return b; }).ToArray();
        using var sd = Open(new TorchCheckpointBuilder
        {
            ByteOrder = "big",
            Tensors = [new("f", "FloatStorage", 4, floats, [6]), new("i", "LongStorage", 8, longs, [3])],
        });
        Assert.Equal(Values, sd.ReadFloat32("f"));
        Assert.Equal(ints, sd.ReadInt64("i"));
        Assert.Equal(BitConverter.GetBytes(1L << 40), sd.ReadRawBytes("i")[16..]);
    }

    /// <summary>
    /// Tensors that need converting are decoded a 1 MiB chunk at a time (StoredTensor.DecodeFloat32):
    /// each of these is larger than a chunk and not a multiple of it, read from a file on disk.
    /// </summary>
    [Theory]
    [InlineData("HalfStorage", 2, "little", 600_001)]
    [InlineData("DoubleStorage", 8, "little", 150_001)]
    [InlineData("FloatStorage", 4, "big", 300_001)]
    public void TensorsLargerThanADecodeChunkConvertWhole(string storageType, int size, string byteOrder, int count)
    {
        // integers below 2048 are exact in float16; a period of 2039 (prime) differs at every chunk boundary
        float[] expected = Enumerable.Range(0, count).Select(i => (float)(i % 2039 - 1019)).ToArray();
        var storage = new byte[count * size];
        for (int i = 0; i < count; i++)
        {
            Span<byte> element = storage.AsSpan(i * size, size);
            if (size == 2)
                BinaryPrimitives.WriteHalfLittleEndian(element, (Half)expected[i]);
            else if (size == 8)
                BinaryPrimitives.WriteDoubleLittleEndian(element, expected[i]);
            else
                BinaryPrimitives.WriteSingleBigEndian(element, expected[i]);
        }
        using var dir = new TempDirectory();
        string path = dir.File("large.pt");
        File.WriteAllBytes(path, new TorchCheckpointBuilder { ByteOrder = byteOrder, Tensors = [new("t", storageType, size, storage, [count])] }.ToArray());
        using StateDict sd = StateDict.Open(path);

        var into = new float[count];
        sd.ReadFloat32("t", into);
        Assert.Equal(expected, into);
        Assert.Equal(expected, sd.ReadFloat32("t"));
    }

    [Fact]
    public void UnknownByteOrderIsRefused()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Open(new TorchCheckpointBuilder
        {
            ByteOrder = "middle", Tensors = [BuiltTensor.Float32("w", Values, 6)],
        }));
        Assert.Contains("byteorder", e.Message);
    }

    [Fact]
    public void TransposedViewIsMaterializedInRowMajorOrder()
    {
        // storage holds a 2x3 matrix row-major; the saved tensor is its transpose: shape [3, 2], strides [1, 3]
        var source = BuiltTensor.Float32("t", Values, 2, 3);
        using var sd = Open(new TorchCheckpointBuilder { Tensors = [source with { Shape = [3, 2], Strides = [1, 3] }] });
        float[] expected = new float[6];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 2; c++)
                expected[r * 2 + c] = Values[c * 3 + r];
        Assert.Equal(expected, sd.ReadFloat32("t"));
    }

    [Fact]
    public void TensorsSharingAStorageReadTheirOwnSlices()
    {
        var whole = BuiltTensor.Float32("first", Values, 2);
        using var sd = Open(new TorchCheckpointBuilder
        {
            Tensors = [whole with { StorageKey = "0" }, whole with { Name = "second", StorageKey = "0", Offset = 2, Shape = [4] }],
        });
        Assert.Equal(Values[..2], sd.ReadFloat32("first"));
        Assert.Equal(Values[2..], sd.ReadFloat32("second"));
    }

    [Fact]
    public void Zip64ExtraFieldsAreRead()
    {
        using var sd = Open(new TorchCheckpointBuilder { Zip64ExtraFields = true, Tensors = [BuiltTensor.Float32("w", Values, 6)] });
        Assert.Equal(Values, sd.ReadFloat32("w"));
    }

    [Fact]
    public void IntegerAndBoolStoragesReadAsInt64()
    {
        using var sd = Open(new TorchCheckpointBuilder
        {
            Tensors =
            [
                new("i32", "IntStorage", 4, [.. BitConverter.GetBytes(-7), .. BitConverter.GetBytes(9)], [2]),
                new("i8", "CharStorage", 1, [0xFF, 5], [2]),
                new("u8", "ByteStorage", 1, [0xFF, 5], [2]),
                new("b", "BoolStorage", 1, [1, 0], [2]),
            ],
        });
        Assert.Equal([-7L, 9L], sd.ReadInt64("i32"));
        Assert.Equal([-1L, 5L], sd.ReadInt64("i8"));
        Assert.Equal([255L, 5L], sd.ReadInt64("u8"));
        Assert.Equal([1L, 0L], sd.ReadInt64("b"));
        Assert.Equal([0xFF, 5], sd.ReadUInt8("u8"));
        Assert.Throws<InvalidInputException>(() => sd.ReadFloat32("i32"));
    }

    [Fact]
    public void CompressedStorageIsRefusedNamingTheEntry()
    {
        var builder = new TorchCheckpointBuilder { Tensors = [BuiltTensor.Float32("w", Values, 6)] };
        byte[] pt = new ZipBuilder()
            .Add("archive/data.pkl", builder.Pickle())
            .Add("archive/data/w", builder.Tensors[0].Storage, deflate: true)
            .ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(pt, "deflated.pt"));
        Assert.Contains("archive/data/w", e.Message);
        Assert.Contains("compressed", e.Message);
    }

    [Fact]
    public void ExpandedStrideZeroViewIsRefusedRatherThanBlownUp()
    {
        var builder = new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Values, 6) with { Shape = [30000, 30000], Strides = [0, 0] }],
        };
        var e = Assert.Throws<CheckpointFormatException>(() => Open(builder));
        Assert.Contains("more elements than its storage", e.Message);
    }

    [Fact]
    public void SafeTensorsWriterRoundTripsDTypesShapesAndMetadata()
    {
        string dir = Directory.CreateTempSubdirectory("arpg-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "out.safetensors");
            byte[] halves = [.. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-3f))];
            SafeTensorsWriter.Write(path,
            [
                (new TensorInfo("f", DType.Float32, [2, 3]), Values.SelectMany(BitConverter.GetBytes).ToArray()),
                (new TensorInfo("h", DType.Float16, [2]), halves),
                (new TensorInfo("scalar", DType.Int64, []), BitConverter.GetBytes(42L)),
                (new TensorInfo("empty", DType.Float32, [0, 4]), []),
            ], new Dictionary<string, string> { ["format"] = "pt" });

            Assert.Equal(["out.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));
            using var sd = StateDict.Open(path);
            Assert.Equal(["f", "h", "scalar", "empty"], sd.Names);
            Assert.Equal(Values, sd.ReadFloat32("f"));
            Assert.Equal([1.5f, -3f], sd.ReadFloat32("h"));
            Assert.Equal([42L], sd.ReadInt64("scalar"));
            Assert.Empty(sd.ReadFloat32("empty"));
            Assert.Equal("pt", sd.Metadata["format"]);
            // header length is a multiple of 8, so data starts aligned
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path)) % 8);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SafeTensorsWriterLeavesNothingBehindWhenATensorFails()
    {
        string dir = Directory.CreateTempSubdirectory("arpg-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "out.safetensors");
            Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path,
                [(new TensorInfo("f", DType.Float32, [2]), new byte[3])]));
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LegacyAndUnknownFormatsAreRefusedClearly()
    {
        var legacy = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20 }, "old.pt"));
        Assert.Contains("PyTorch < 1.6", legacy.Message);
        var text = Assert.Throws<CheckpointFormatException>(() => StateDict.Open("hello world"u8.ToArray(), "notes.txt"));
        Assert.StartsWith("notes.txt: neither", text.Message);
        Assert.Contains("empty", Assert.Throws<CheckpointFormatException>(() => StateDict.Open(Array.Empty<byte>(), "empty.pt")).Message);
    }
}
