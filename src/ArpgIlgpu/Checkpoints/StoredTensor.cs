using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Where a tensor's elements lie in the file: the byte offset of element [0, ..., 0], the strides
/// (in elements) of each dimension, and the byte order. Readers construct it only after checking
/// that every element the strides reach lies inside the tensor's storage, so reading needs no
/// further checks on the layout.
/// </summary>
internal sealed record StoredTensor(TensorInfo Info, long Offset, long[] Strides, bool BigEndian)
{
    /// <summary>A dense row-major tensor in little-endian byte order (safetensors).</summary>
    public static StoredTensor Contiguous(TensorInfo info, long offset) =>
        new(info, offset, RowMajorStrides(info.Shape), BigEndian: false);

    /// <summary>The strides of a dense row-major tensor of <paramref name="shape"/>.</summary>
    public static long[] RowMajorStrides(int[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>True when the elements are dense in row-major order (size-1 dimensions may have any stride).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = Info.Shape.Length - 1; d >= 0; d--)
            {
                if (Info.Shape[d] != 1 && Strides[d] != expected)
                    return Info.ElementCount == 0;
                expected *= Info.Shape[d];
            }
            return true;
        }
    }

    /// <summary>
    /// The elements in row-major order, in the stored byte order, in a new array: read from the
    /// file when the tensor is contiguous, otherwise gathered from its storage (a transposed or
    /// sliced view torch saved as is).
    /// </summary>
    private byte[] RowMajorBytes(ByteSource source)
    {
        long byteCount = Info.ByteCount;
        if (byteCount > Array.MaxLength)
            throw source.Error($"tensor '{Info.Name}' is {byteCount} bytes, more than one array can hold");
        var gathered = new byte[byteCount];
        if (byteCount == 0)
            return gathered;
        if (IsContiguous)
        {
            source.ReadInto(Offset, gathered, What);
            return gathered;
        }

        int[] shape = Info.Shape;
        int size = Info.DType.SizeOf();
        long lastElement = 0;
        for (int d = 0; d < shape.Length; d++)
            lastElement += (shape[d] - 1) * Strides[d];
        ReadOnlySpan<byte> storage = source.Read(Offset, (lastElement + 1) * size, What);
        var index = new int[shape.Length];
        long element = 0; // storage element of the current index, relative to Offset
        for (long i = 0; i < Info.ElementCount; i++)
        {
            storage.Slice((int)(element * size), size).CopyTo(gathered.AsSpan((int)(i * size), size));
            // advance the multi-index like an odometer, last dimension fastest
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                element += Strides[d];
                if (++index[d] < shape[d])
                    break;
                element -= Strides[d] * shape[d];
                index[d] = 0;
            }
        }
        return gathered;
    }

    /// <summary>The elements in row-major order and little-endian byte order (the safetensors layout), in a new array.</summary>
    public byte[] LittleEndianBytes(ByteSource source)
    {
        byte[] bytes = RowMajorBytes(source);
        if (BigEndian)
            ReverseEach(bytes, Info.DType.SizeOf());
        return bytes;
    }

    /// <summary>Decodes to float32; float16 and bfloat16 widen exactly, float64 rounds to nearest.</summary>
    public float[] ToFloat32(ByteSource source)
    {
        if (Info.ElementCount > Array.MaxLength)
            throw source.Error($"tensor '{Info.Name}' has {Info.ElementCount} elements, more than one array can hold");
        var result = new float[Info.ElementCount];
        DecodeFloat32(source, result);
        return result;
    }

    /// <summary>
    /// Decodes to float32 as <see cref="ToFloat32(ByteSource)"/>, into <paramref name="destination"/>
    /// (exactly the tensor's elements), without a copy of the tensor: a contiguous little-endian
    /// float32 tensor is read straight into it, others through a chunk of <see cref="ChunkBytes"/>
    /// at a time; only a strided view is gathered whole first.
    /// </summary>
    public void DecodeFloat32(ByteSource source, Span<float> destination)
    {
        if (!Info.DType.IsFloatingPoint())
            throw WrongType(source, "a floating-point type");
        if (destination.Length != Info.ElementCount)
            throw new ArgumentException($"tensor '{Info.Name}' has {Info.ElementCount} elements, not {destination.Length}", nameof(destination));
        if (!IsContiguous)
        {
            ToFloat32(LittleEndianBytes(source), destination);
            return;
        }
        if (Info.DType == DType.Float32 && !BigEndian && BitConverter.IsLittleEndian && (long)destination.Length * 4 <= Array.MaxLength)
        {
            source.ReadInto(Offset, MemoryMarshal.AsBytes(destination), What);
            return;
        }
        int size = Info.DType.SizeOf(), chunk = ChunkBytes / size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (int i = 0; i < destination.Length; i += chunk)
            {
                int count = Math.Min(chunk, destination.Length - i);
                Span<byte> raw = buffer.AsSpan(0, count * size);
                source.ReadInto(Offset + (long)i * size, raw, What);
                if (BigEndian)
                    ReverseEach(raw, size);
                ToFloat32(raw, destination.Slice(i, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Bytes converted at a time by <see cref="DecodeFloat32"/>: a buffer that stays in cache.</summary>
    private const int ChunkBytes = 1 << 20;

    private string What => $"tensor '{Info.Name}'";

    // little-endian elements of this tensor's floating-point dtype -> float32
    private void ToFloat32(ReadOnlySpan<byte> raw, Span<float> result)
    {
        switch (Info.DType)
        {
            case DType.Float32:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                break;
            case DType.Float16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]);
                break;
            case DType.BFloat16: // bfloat16 is the top half of a float32
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16);
                break;
            default: // Float64 (DecodeFloat32 admits floating-point types only)
                for (int i = 0; i < result.Length; i++)
                    result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                break;
        }
    }

    private static void ReverseEach(Span<byte> elements, int size)
    {
        for (int i = 0; i + size <= elements.Length; i += size)
            elements.Slice(i, size).Reverse();
    }

    /// <summary>Decodes an integer or bool tensor to int64.</summary>
    public long[] ToInt64(ByteSource source)
    {
        ReadOnlySpan<byte> raw = LittleEndianBytes(source);
        var result = new long[Info.ElementCount];
        switch (Info.DType)
        {
            case DType.Int64:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                break;
            case DType.Int32:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]);
                break;
            case DType.Int16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]);
                break;
            case DType.Int8:
                for (int i = 0; i < result.Length; i++)
                    result[i] = (sbyte)raw[i];
                break;
            case DType.UInt8 or DType.Bool:
                for (int i = 0; i < result.Length; i++)
                    result[i] = raw[i];
                break;
            default:
                throw WrongType(source, "an integer type");
        }
        return result;
    }

    /// <summary>The bytes of a uint8 or bool tensor.</summary>
    public byte[] ToUInt8(ByteSource source) =>
        Info.DType is DType.UInt8 or DType.Bool ? RowMajorBytes(source) : throw WrongType(source, "uint8");

    private InvalidInputException WrongType(ByteSource source, string wanted) =>
        new($"{source.DisplayName}: tensor '{Info.Name}' is {Info.DType.TorchName()}, not {wanted}");
}
