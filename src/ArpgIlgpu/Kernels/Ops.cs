using ArpgIlgpu.Runtime;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The typed wrappers through which models call kernels, one partial file per op family next to
/// its kernels (Gemm.cs, RmsNorm.cs, ...). Each wrapper checks shapes on the host, picks the
/// kernel variant for the device (barrier-free on the CPU accelerator, tiled elsewhere) and
/// launches it on the default stream. Kernels are compiled on first use and kept.
/// </summary>
public sealed partial class Ops
{
    private readonly ComputeDevice device;

    internal Ops(ComputeDevice device) => this.device = device;

    private Accelerator Accelerator => device.Accelerator;

    /// <summary>Throws when a view is shorter than the shape a kernel will address.</summary>
    private static void Require<T>(ILGPU.ArrayView<T> view, long needed, string what) where T : unmanaged
    {
        if (view.Length < needed)
            throw new ArgumentException($"{what}: view holds {view.Length} elements, the shape needs {needed}");
    }
}
