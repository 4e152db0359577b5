using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// Device allocation with an error a user can act on: every request is first counted against the
/// device's memory (<see cref="MemoryBudget"/>), and a request that does not fit, or that the
/// driver refuses, becomes a <see cref="DeviceOutOfMemoryException"/> that says how much was
/// needed and what to change, instead of the driver's bare error code or a process killed later.
/// </summary>
public static class DeviceMemory
{
    /// <summary>Allocates <paramref name="length"/> elements on the device; release with <see cref="Free"/>.</summary>
    public static MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(ComputeDevice device, long length)
        where T : unmanaged
    {
        long bytes = checked(length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        if (device.Memory.TryReserve(bytes) is { } full)
            throw new DeviceOutOfMemoryException(device, bytes,
                $"{ComputeDevice.FormatBytes(full.Used)} of {full.Name}'s {ComputeDevice.FormatBytes(full.Limit)} in use");
        try
        {
            return device.Accelerator.Allocate1D<T>(length);
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException or InvalidOperationException
                                  or ArgumentOutOfRangeException)
        {
            device.Memory.Release(bytes);
            throw new DeviceOutOfMemoryException(device, bytes, $"the driver refused it: {Reason(e)}", e);
        }
    }

    /// <summary>The driver's error: OpenCL's carries only a code, which says more than its message.</summary>
    private static string Reason(Exception e) =>
        e is ILGPU.Runtime.OpenCL.CLException cl ? cl.Error.ToString() : e.Message.Split('\n')[0];

    /// <summary>Frees a buffer from <see cref="Allocate"/> and returns its bytes to the device's budget.</summary>
    public static void Free<T>(ComputeDevice device, MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        long bytes = buffer.LengthInBytes;
        buffer.Dispose();
        device.Memory.Release(bytes);
    }
}

/// <summary>The device could not hold an allocation; the message says how much was needed and what to change.</summary>
public sealed class DeviceOutOfMemoryException : Exception
{
    /// <summary>Creates the exception for an allocation of <paramref name="bytes"/> that failed because of <paramref name="reason"/>.</summary>
    public DeviceOutOfMemoryException(ComputeDevice device, long bytes, string reason, Exception? inner = null)
        : this($"out of device memory on {device.Description}: {ComputeDevice.FormatBytes(bytes)} more were needed ({reason})", inner) =>
        RequestedBytes = bytes;

    private DeviceOutOfMemoryException(string shortfall, Exception? inner)
        : base($"{shortfall}; try fewer images at a time or {nameof(Precision)}.{nameof(Precision.Fp16)}", inner) =>
        Shortfall = shortfall;

    /// <summary>What did not fit, without the advice (a front end gives its own).</summary>
    public string Shortfall { get; }

    /// <summary>The size of the allocation that failed.</summary>
    public long RequestedBytes { get; }
}
