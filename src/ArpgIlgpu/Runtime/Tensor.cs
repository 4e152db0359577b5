using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// A dense, row-major buffer on a device with a shape: the unit that crosses function boundaries.
/// Kernels see it as a flat <see cref="ArrayView{T}"/>; the shape is for the host's checks.
/// </summary>
/// <typeparam name="T">Element type: float for activations and weights, int for ids, Half for fp16 storage.</typeparam>
public sealed class Tensor<T> : IDisposable where T : unmanaged
{
    private readonly ComputeDevice device;
    private readonly MemoryBuffer1D<T, Stride1D.Dense> buffer;
    private bool disposed;

    /// <summary>Allocates a tensor of the given shape (contents undefined until written).</summary>
    public Tensor(ComputeDevice device, params int[] shape)
    {
        Shape = (int[])shape.Clone();
        Length = ElementCount(shape);
        this.device = device;
        buffer = DeviceMemory.Allocate<T>(device, Length);
    }

    /// <summary>The shape, outermost dimension first.</summary>
    public int[] Shape { get; }

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The whole tensor as a flat view.</summary>
    public ArrayView<T> View => buffer.View.AsContiguous();

    /// <summary>Size of one dimension.</summary>
    public int Dim(int axis) => Shape[axis];

    /// <summary>Bytes on the device.</summary>
    public long Bytes => buffer.LengthInBytes;

    /// <summary>A flat sub-range of the tensor.</summary>
    public ArrayView<T> Slice(long offset, long length) => View.SubView(offset, length);

    /// <summary>Allocates a tensor and copies host data into it.</summary>
    public static Tensor<T> FromArray(ComputeDevice device, ReadOnlySpan<T> data, params int[] shape)
    {
        var t = new Tensor<T>(device, shape);
        t.Upload(data);
        return t;
    }

    /// <summary>Copies host data into the tensor (lengths must match).</summary>
    public void Upload(ReadOnlySpan<T> data)
    {
        if (data.Length != Length)
            throw new ArgumentException($"upload of {data.Length} elements into a tensor of {Length}");
        View.CopyFromCPU(data);
    }

    /// <summary>Copies the tensor to a new host array (waits for pending kernels).</summary>
    public T[] ToArray()
    {
        var result = new T[Length];
        View.CopyToCPU(result);
        return result;
    }

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => buffer.MemSetToZero();

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        DeviceMemory.Free(device, buffer);
    }

    /// <summary>The product of the dimensions; throws on a negative or overflowing shape.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"negative dimension {d} in a tensor shape");
            n = checked(n * d);
        }
        return n;
    }
}
