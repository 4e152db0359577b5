using ArpgIlgpu.Runtime;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The typed wrappers through which models call kernels, one partial file per op family next to
/// its kernels (Gemm.cs, RmsNorm.cs, ...). Each wrapper checks shapes on the host, runs the
/// kernel variant the device's profile names (<see cref="DeviceProfile"/>) and launches it on
/// the default stream. Kernels are compiled on first use and kept, and so are the scratch
/// buffers some of them need (<see cref="ScratchBuffer"/>), until the device is disposed.
/// </summary>
public sealed partial class Ops : IDisposable
{
    private readonly ComputeDevice device;
    private readonly List<ScratchBuffer> scratchBuffers = [];

    internal Ops(ComputeDevice device) => this.device = device;

    /// <summary>A new scratch buffer on this device, freed with the others by <see cref="Dispose"/>.</summary>
    private ScratchBuffer NewScratch()
    {
        var scratch = new ScratchBuffer(device);
        scratchBuffers.Add(scratch);
        return scratch;
    }

    /// <summary>Frees every scratch buffer (their bytes go back to the device's budget).</summary>
    public void Dispose()
    {
        foreach (ScratchBuffer scratch in scratchBuffers)
            scratch.Dispose();
    }

    private Accelerator Accelerator => device.Accelerator;

    /// <summary>The kernel variants this device runs (the profile table).</summary>
    private DeviceProfile Profile => device.Profile;

    /// <summary>
    /// The group size of every implicitly grouped kernel (one index per work item, no barriers):
    /// the profile's (<see cref="DeviceProfile.ImplicitGroupSize"/>), or less where the device allows less.
    /// </summary>
    private int ImplicitGroupSize => Math.Min(Profile.ImplicitGroupSize, Accelerator.MaxNumThreadsPerGroup);

    /// <summary>Whether two views are the same elements of the same buffer (an in-place call).</summary>
    private static bool SameElements<T>(ILGPU.ArrayView<T> a, ILGPU.ArrayView<T> b) where T : unmanaged =>
        ((ILGPU.IArrayView)a).Buffer == ((ILGPU.IArrayView)b).Buffer
        && ((ILGPU.IContiguousArrayView)a).Index == ((ILGPU.IContiguousArrayView)b).Index
        && a.Length == b.Length;

    /// <summary>Throws when a view is shorter than the shape a kernel will address.</summary>
    private static void Require<T>(ILGPU.ArrayView<T> view, long needed, string what) where T : unmanaged
    {
        if (view.Length < needed)
            throw new ArgumentException($"{what}: view holds {view.Length} elements, the shape needs {needed}");
    }
}
