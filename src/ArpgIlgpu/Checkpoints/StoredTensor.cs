using System.Buffers.Binary;

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
    /// The elements in row-major order, in the stored byte order: a span of the file itself when the
    /// tensor is contiguous, otherwise a gathered copy (a transposed or sliced view torch saved as is).
    /// </summary>
    public ReadOnlySpan<byte> RowMajorBytes(ByteSource source)
    {
        long byteCount = Info.ByteCount;
        if (byteCount > Array.MaxLength)
            throw source.Error($"tensor '{Info.Name}' is {byteCount} bytes, more than one array can hold");
        int size = Info.DType.SizeOf();
        if (byteCount == 0)
            return [];
        if (IsContiguous)
            return source.Span(Offset, byteCount, $"tensor '{Info.Name}'");

        var gathered = new byte[byteCount];
        int[] shape = Info.Shape;
        var index = new int[shape.Length];
        long element = 0; // storage element of the current index, relative to Offset
        for (long i = 0; i < Info.ElementCount; i++)
        {
            source.Span(Offset + element * size, size, $"tensor '{Info.Name}'").CopyTo(gathered.AsSpan((int)(i * size), size));
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

    /// <summary>The elements in row-major order and little-endian byte order (the safetensors layout).</summary>
    public ReadOnlySpan<byte> LittleEndianBytes(ByteSource source)
    {
        ReadOnlySpan<byte> raw = RowMajorBytes(source);
        if (!BigEndian)
            return raw;
        byte[] swapped = raw.ToArray();
        int size = Info.DType.SizeOf();
        for (int i = 0; i + size <= swapped.Length; i += size)
            swapped.AsSpan(i, size).Reverse();
        return swapped;
    }

    /// <summary>Decodes to float32; float16 and bfloat16 widen exactly, float64 rounds to nearest.</summary>
    public float[] ToFloat32(ByteSource source)
    {
        ReadOnlySpan<byte> raw = LittleEndianBytes(source);
        var result = new float[Info.ElementCount];
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
            case DType.Float64:
                for (int i = 0; i < result.Length; i++)
                    result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                break;
            default:
                throw WrongType(source, "a floating-point type");
        }
        return result;
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
        Info.DType is DType.UInt8 or DType.Bool ? RowMajorBytes(source).ToArray() : throw WrongType(source, "uint8");

    private InvalidInputException WrongType(ByteSource source, string wanted) =>
        new($"{source.DisplayName}: tensor '{Info.Name}' is {Info.DType.TorchName()}, not {wanted}");
}
