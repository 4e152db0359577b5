using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// Device allocation with an error a user can act on: when the device is out of memory, say how
/// much was asked for and what to change, instead of the driver's bare error code.
/// </summary>
public static class DeviceMemory
{
    /// <summary>Allocates <paramref name="length"/> elements on the device.</summary>
    public static MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(ComputeDevice device, long length)
        where T : unmanaged
    {
        long bytes = checked(length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        try
        {
            return device.Accelerator.Allocate1D<T>(length);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException or InvalidOperationException
                                  or ArgumentOutOfRangeException)
        {
            throw new DeviceOutOfMemoryException(device, bytes, e);
        }
    }
}

/// <summary>The device could not hold an allocation; the message says how much was needed.</summary>
public sealed class DeviceOutOfMemoryException : Exception
{
    /// <summary>Creates the exception for a failed allocation of <paramref name="bytes"/>.</summary>
    public DeviceOutOfMemoryException(ComputeDevice device, long bytes, Exception inner)
        : base($"out of device memory on {device.Description}: an allocation of " +
               $"{ComputeDevice.FormatBytes(bytes)} failed ({inner.Message.Split('\n')[0]}); " +
               "try a smaller --batch or --precision fp16", inner)
    {
        RequestedBytes = bytes;
    }

    /// <summary>The size of the allocation that failed.</summary>
    public long RequestedBytes { get; }
}
