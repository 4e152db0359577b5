using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// A device buffer of float32 intermediates that a kernel launcher keeps between calls (the
/// split-K partial sums, a dequantised int8 matrix, the Winograd convolution's transformed filters, inputs and products):
/// grown to the largest request so far, never shrunk, and counted in the device's memory budget
/// like every other allocation (<see cref="DeviceMemory"/>), so a request that does not fit is a
/// <see cref="DeviceOutOfMemoryException"/>, not a process killed later.
/// </summary>
internal sealed class ScratchBuffer(ComputeDevice device) : IDisposable
{
    private MemoryBuffer1D<float, Stride1D.Dense>? buffer;

    /// <summary>The first <paramref name="length"/> floats of the buffer (contents undefined), grown first if it is shorter.</summary>
    public ArrayView<float> Take(long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            Dispose(); // the old buffer's bytes go back before the larger one is counted
            buffer = DeviceMemory.Allocate<float>(device, Math.Max(length, 1));
        }
        return buffer.View.SubView(0, length);
    }

    /// <summary>Frees the buffer and returns its bytes to the budget; a later <see cref="Take"/> allocates again.</summary>
    public void Dispose()
    {
        if (buffer is null)
            return;
        DeviceMemory.Free(device, buffer);
        buffer = null;
    }
}
