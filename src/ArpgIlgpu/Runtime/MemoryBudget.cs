namespace ArpgIlgpu.Runtime;

/// <summary>
/// The bytes a device may hold, counted before each allocation. Drivers do fail a request that
/// does not fit, but ILGPU's CPU accelerator reports unlimited memory and takes host memory with
/// malloc, which on Linux succeeds for almost any size and fails only when the pages are
/// touched, when the kernel's OOM killer ends the process without a word. So every device
/// allocation is counted: a GPU's against its memory; those of host-memory devices (the CPU
/// accelerator, PoCL) against the host's physical memory (or the container's limit), shared by
/// every such device in the process. (PoCL advertises a global memory of a fifth of RAM here but
/// allocates past it; what it does refuse is a single buffer above its maximum allocation size,
/// which the driver reports and <see cref="DeviceMemory"/> turns into the same error.)
/// </summary>
internal sealed class MemoryBudget
{
    private readonly MemoryBudget? parent;
    private long used, peak;

    private MemoryBudget(string name, long limit, MemoryBudget? parent)
    {
        Name = name;
        Limit = limit;
        this.parent = parent;
    }

    /// <summary>The memory of this machine, as the runtime sees it (physical memory or the container's limit).</summary>
    public static MemoryBudget Host { get; } = new("the host", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, null);

    /// <summary>The budget of a device: its own memory, or for a host-memory device the host's, shared.</summary>
    public static MemoryBudget ForDevice(long deviceMemory, bool usesHostMemory) =>
        usesHostMemory ? new("the device", long.MaxValue, Host) : new("the device", deviceMemory, null);

    /// <summary>A device budget of <paramref name="limit"/> bytes (within the host's, for a host-memory device).</summary>
    public static MemoryBudget Limited(long limit, bool usesHostMemory) => new("the device", limit, usesHostMemory ? Host : null);

    /// <summary>What the budget is of, for messages.</summary>
    public string Name { get; }

    /// <summary>Bytes available in all.</summary>
    public long Limit { get; }

    /// <summary>Bytes allocated now.</summary>
    public long Used => Interlocked.Read(ref used);

    /// <summary>
    /// The most bytes allocated at once since the budget was made or <see cref="ResetPeak"/> was
    /// called: what a phase (a load, a generation) needed at its worst.
    /// </summary>
    public long Peak => Interlocked.Read(ref peak);

    /// <summary>Starts a new <see cref="Peak"/> from what is allocated now.</summary>
    public void ResetPeak()
    {
        lock (this)
            peak = used;
    }

    /// <summary>Bytes that could be reserved now, here and in the parent.</summary>
    public long Available => Math.Min(Limit - Used, parent?.Available ?? long.MaxValue);

    /// <summary>
    /// Counts <paramref name="bytes"/> as allocated if they fit here and in the parent; returns
    /// null on success, else the budget that is short (nothing is counted then).
    /// </summary>
    public MemoryBudget? TryReserve(long bytes)
    {
        lock (this)
        {
            if (bytes > Limit - used)
                return this;
            if (parent?.TryReserve(bytes) is { } shortOne)
                return shortOne;
            used += bytes;
            peak = Math.Max(peak, used);
            return null;
        }
    }

    /// <summary>Returns bytes reserved by <see cref="TryReserve"/>.</summary>
    public void Release(long bytes)
    {
        lock (this)
            used -= bytes;
        parent?.Release(bytes);
    }
}
