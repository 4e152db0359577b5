namespace ArpgIlgpu.Runtime;

/// <summary>
/// The one host buffer a load decodes tensors into before uploading them: allocated once, for
/// the largest tensor, and reused for every tensor, so that loading needs the weights on the
/// device plus one tensor on the host (not a host copy of every tensor, which on a host-memory
/// device doubled the memory a load took). Its bytes are counted while it lives: in the device's
/// budget when the device keeps its buffers in host memory (the CPU accelerator, PoCL: the same
/// memory, so the budget's <see cref="MemoryBudget.Peak"/> is the load's whole footprint), else
/// in the host's.
/// </summary>
internal sealed class StagingBuffer : IDisposable
{
    private readonly MemoryBudget budget;
    private float[]? values;

    /// <summary>A buffer of <paramref name="elements"/> floats for loads onto <paramref name="device"/>.</summary>
    public StagingBuffer(ComputeDevice device, long elements)
    {
        if (elements > Array.MaxLength)
            throw new InvalidInputException($"a tensor of {elements} elements is more than one host array can hold");
        long bytes = elements * sizeof(float);
        budget = device.IsHostCpu ? device.Memory : MemoryBudget.Host;
        if (budget.TryReserve(bytes) is { } full)
            throw new DeviceOutOfMemoryException(device, bytes,
                $"to stage tensors on the host while loading; {ComputeDevice.FormatBytes(full.Used)} of {full.Name}'s {ComputeDevice.FormatBytes(full.Limit)} in use");
        values = GC.AllocateUninitializedArray<float>((int)elements);
    }

    /// <summary>
    /// What a buffer of <paramref name="elements"/> floats takes from <paramref name="device"/>'s
    /// budget (nothing on a device with memory of its own), for sizing a load before it starts.
    /// </summary>
    public static long BytesOnDevice(ComputeDevice device, long elements) => device.IsHostCpu ? elements * sizeof(float) : 0;

    /// <summary>The first <paramref name="elements"/> floats of the buffer, overwritten by the next caller.</summary>
    public Span<float> Take(long elements)
    {
        ObjectDisposedException.ThrowIf(values is null, this);
        return elements <= values.Length
            ? values.AsSpan(0, (int)elements)
            : throw new ArgumentOutOfRangeException(nameof(elements), $"{elements} floats asked of a staging buffer of {values.Length}");
    }

    /// <summary>Gives the buffer up and its bytes back to the budget.</summary>
    public void Dispose()
    {
        if (values is null)
            return;
        budget.Release((long)values.Length * sizeof(float));
        values = null;
    }
}
