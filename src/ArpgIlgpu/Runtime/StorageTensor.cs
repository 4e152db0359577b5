using ArpgIlgpu.Kernels;

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

    /// <summary>
    /// Uploads float32 data, converting to half (round to nearest even) for Fp16. A finite value
    /// that rounds past half's largest (65504) is refused: half would store it as infinity, which
    /// the CPU profile's fp16 GEMM reads as a finite value (<see cref="Float16.ToFloatFinite"/>).
    /// </summary>
    public static StorageTensor Upload(ComputeDevice device, Precision precision, float[] data, params int[] shape)
    {
        if (precision == Precision.Fp32)
            return new StorageTensor(Tensor<float>.FromArray(device, data, shape), null);
        var bits = new ushort[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            Half half = (Half)data[i];
            if (Half.IsInfinity(half) && float.IsFinite(data[i]))
                throw new InvalidInputException(
                    $"value {data[i]:G9} at element {i} is beyond float16's range (largest 65504): use float32 precision");
            bits[i] = BitConverter.HalfToUInt16Bits(half);
        }
        return new StorageTensor(null, Tensor<ushort>.FromArray(device, bits, shape));
    }

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
