using ArpgIlgpu.Kernels;
using ILGPU.Runtime;
using System.Buffers;

namespace ArpgIlgpu.Runtime;

/// <summary>How weights and KV caches are stored on the device. Arithmetic is always float32.</summary>
public enum Precision
{
    /// <summary>IEEE float32: the reference.</summary>
    Fp32,
    /// <summary>IEEE float16 bits, converted to float32 in the kernels: half the memory and traffic.</summary>
    Fp16,
    /// <summary>
    /// Weight-only int8: the weight matrices of every GEMM (projections, feed-forward, head) in
    /// q8_0 (<see cref="Q8Matrix"/>: int8 values and a float32 scale per row per 32 columns,
    /// 1.125 bytes per weight), dequantised in the GEMMs' inner loops. The embedding table and the
    /// KV caches are float16 as under <see cref="Fp16"/> (a table is gathered row by row, not
    /// multiplied, and the caches are written every step); norm weights float32 as always.
    /// </summary>
    Int8,
}

/// <summary>What each kind of stored tensor becomes under a <see cref="Precision"/>.</summary>
public static class PrecisionRoles
{
    /// <summary>The storage of KV caches and embedding tables: float16 under <see cref="Precision.Int8"/>.</summary>
    public static Precision ForTablesAndCaches(this Precision precision) =>
        precision == Precision.Int8 ? Precision.Fp16 : precision;

    /// <summary>Bytes one weight-matrix element takes on the device (q8_0: 1 + 4 / 32).</summary>
    public static double WeightBytesPerElement(this Precision precision) => precision switch
    {
        Precision.Fp16 => 2,
        Precision.Int8 => 1 + 4.0 / Q8Matrix.BlockSize,
        _ => 4,
    };

    /// <summary>Bytes one KV-cache element takes.</summary>
    public static double CacheBytesPerElement(this Precision precision) =>
        precision.ForTablesAndCaches() == Precision.Fp16 ? 2 : 4;
}

/// <summary>
/// A tensor stored in float32, float16 or (weight matrices only) q8_0 int8 (<see cref="Precision"/>):
/// model weights and KV caches. Kernels that read it come in each form; <see cref="Ops"/> picks the
/// one for its precision.
/// </summary>
public sealed class StorageTensor : IDisposable
{
    private StorageTensor(Tensor<float>? f32, Tensor<ushort>? f16, Q8Tensor? q8 = null)
    {
        F32 = f32;
        F16 = f16;
        Q8 = q8;
    }

    /// <summary>The float32 data, when <see cref="Precision"/> is Fp32.</summary>
    public Tensor<float>? F32 { get; }

    /// <summary>The float16 bits, when <see cref="Precision"/> is Fp16.</summary>
    public Tensor<ushort>? F16 { get; }

    /// <summary>The q8_0 values and scales, when <see cref="Precision"/> is Int8.</summary>
    public Q8Tensor? Q8 { get; }

    /// <summary>How the elements are stored.</summary>
    public Precision Precision => Q8 is not null ? Precision.Int8 : F16 is null ? Precision.Fp32 : Precision.Fp16;

    /// <summary>The shape.</summary>
    public int[] Shape => F32?.Shape ?? F16?.Shape ?? Q8!.Values.Shape;

    /// <summary>Elements.</summary>
    public long Length => F32?.Length ?? F16?.Length ?? Q8!.Values.Length;

    /// <summary>Bytes on the device (q8_0: the values and the scales).</summary>
    public long Bytes => F32?.Bytes ?? F16?.Bytes ?? Q8!.Bytes;

    /// <summary>Allocates an uninitialised tensor (float32 or float16: nothing is written into int8 storage).</summary>
    public static StorageTensor Allocate(ComputeDevice device, Precision precision, params int[] shape) => precision switch
    {
        Precision.Fp16 => new StorageTensor(null, new Tensor<ushort>(device, shape)),
        Precision.Fp32 => new StorageTensor(new Tensor<float>(device, shape), null),
        _ => throw new ArgumentException($"{precision} storage holds weight matrices only; it is not allocated empty", nameof(precision)),
    };

    /// <summary>Uploads a q8_0 matrix as it is (no re-quantisation).</summary>
    public static StorageTensor Upload(ComputeDevice device, Q8Matrix matrix) =>
        new(null, null, Q8Tensor.Upload(device, matrix));

    /// <summary>
    /// Uploads float32 data, converting to half (round to nearest even) for Fp16 (see <see cref="Write"/>),
    /// or quantising a matrix [rows, columns] to q8_0 (<see cref="Q8Matrix.Quantize"/>) for Int8.
    /// </summary>
    public static StorageTensor Upload(ComputeDevice device, Precision precision, ReadOnlySpan<float> data, params int[] shape)
    {
        if (data.Length != Tensor<float>.ElementCount(shape))
            throw new ArgumentException($"upload of {data.Length} elements into a tensor of shape [{string.Join(", ", shape)}]", nameof(data));
        if (precision == Precision.Int8)
            return shape.Length == 2
                ? Upload(device, Q8Matrix.Quantize(data, shape[0], shape[1]))
                : throw new ArgumentException($"int8 storage holds matrices; got shape [{string.Join(", ", shape)}]", nameof(shape));
        StorageTensor tensor = Allocate(device, precision, shape);
        try
        {
            tensor.Write(0, data);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes float32 values into elements [offset, offset + data.Length) of float32 or float16 storage: as they are for Fp32;
    /// for Fp16 rounded to half a chunk of <see cref="HalfChunk"/> at a time, so that no host copy
    /// of the whole tensor is made. A finite value that rounds past half's largest (65504) is
    /// refused: half would store it as infinity, which the CPU profile's fp16 GEMM reads as a
    /// finite value (<see cref="Float16.ToFloatFinite"/>).
    /// </summary>
    public void Write(long offset, ReadOnlySpan<float> data)
    {
        if (Q8 is not null)
            throw new InvalidOperationException("q8_0 storage is quantised whole: upload a Q8Matrix");
        if (offset < 0 || data.Length > Length - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{data.Length} elements at {offset} do not fit a tensor of {Length}");
        if (F32 is not null)
        {
            F32.Slice(offset, data.Length).CopyFromCPU(data);
            return;
        }
        ushort[] bits = ArrayPool<ushort>.Shared.Rent(Math.Min(data.Length, HalfChunk));
        try
        {
            for (int at = 0; at < data.Length; at += HalfChunk)
            {
                int count = Math.Min(HalfChunk, data.Length - at);
                for (int i = 0; i < count; i++)
                    bits[i] = HalfBits(data[at + i], offset + at + i);
                F16!.Slice(offset + at, count).CopyFromCPU(bits.AsSpan(0, count));
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(bits);
        }
    }

    /// <summary>The half bits of a value; a finite value beyond half's range is refused, naming its element.</summary>
    private static ushort HalfBits(float value, long element)
    {
        Half half = (Half)value;
        if (Half.IsInfinity(half) && float.IsFinite(value))
            throw new InvalidInputException(
                $"value {value:G9} at element {element} is beyond float16's range (largest 65504): use float32 precision");
        return BitConverter.HalfToUInt16Bits(half);
    }

    /// <summary>Elements converted to half per upload in <see cref="Write"/> (128 KiB of bits).</summary>
    private const int HalfChunk = 64 << 10;

    /// <summary>The elements as float32 on the host.</summary>
    public float[] ToFloatArray() =>
        F32?.ToArray() ?? F16?.ToArray().Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray() ?? Q8!.Download().Dequantize();

    /// <inheritdoc />
    public void Dispose()
    {
        F32?.Dispose();
        F16?.Dispose();
        Q8?.Dispose();
    }
}
