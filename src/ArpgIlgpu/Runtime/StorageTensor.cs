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
}

/// <summary>
/// A tensor stored in float32 or float16 (<see cref="Precision"/>): model weights and KV caches.
/// Kernels that read it come in both forms; <see cref="Ops"/> picks the one for its precision.
/// </summary>
public sealed class StorageTensor : IDisposable
{
    private StorageTensor(Tensor<float>? f32, Tensor<ushort>? f16)
    {
        F32 = f32;
        F16 = f16;
    }

    /// <summary>The float32 data, when <see cref="Precision"/> is Fp32.</summary>
    public Tensor<float>? F32 { get; }

    /// <summary>The float16 bits, when <see cref="Precision"/> is Fp16.</summary>
    public Tensor<ushort>? F16 { get; }

    /// <summary>How the elements are stored.</summary>
    public Precision Precision => F16 is null ? Precision.Fp32 : Precision.Fp16;

    /// <summary>The shape.</summary>
    public int[] Shape => F32?.Shape ?? F16!.Shape;

    /// <summary>Elements.</summary>
    public long Length => F32?.Length ?? F16!.Length;

    /// <summary>Bytes on the device.</summary>
    public long Bytes => F32?.Bytes ?? F16!.Bytes;

    /// <summary>Allocates an uninitialised tensor.</summary>
    public static StorageTensor Allocate(ComputeDevice device, Precision precision, params int[] shape) =>
        precision == Precision.Fp16
            ? new StorageTensor(null, new Tensor<ushort>(device, shape))
            : new StorageTensor(new Tensor<float>(device, shape), null);

    /// <summary>Uploads float32 data, converting to half (round to nearest even) for Fp16 (see <see cref="Write"/>).</summary>
    public static StorageTensor Upload(ComputeDevice device, Precision precision, ReadOnlySpan<float> data, params int[] shape)
    {
        if (data.Length != Tensor<float>.ElementCount(shape))
            throw new ArgumentException($"upload of {data.Length} elements into a tensor of shape [{string.Join(", ", shape)}]", nameof(data));
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
    /// Writes float32 values into elements [offset, offset + data.Length): as they are for Fp32;
    /// for Fp16 rounded to half a chunk of <see cref="HalfChunk"/> at a time, so that no host copy
    /// of the whole tensor is made. A finite value that rounds past half's largest (65504) is
    /// refused: half would store it as infinity, which the CPU profile's fp16 GEMM reads as a
    /// finite value (<see cref="Float16.ToFloatFinite"/>).
    /// </summary>
    public void Write(long offset, ReadOnlySpan<float> data)
    {
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
        F32?.ToArray() ?? F16!.ToArray().Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        F32?.Dispose();
        F16?.Dispose();
    }
}
