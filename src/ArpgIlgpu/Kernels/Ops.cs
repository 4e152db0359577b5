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

    /// <summary>Work items per group on PoCL; see <see cref="ImplicitGroupSize"/>.</summary>
    private const int PoclGroupSize = 16;

    /// <summary>Work items per group on GPUs: a common choice for memory-bound kernels.</summary>
    private const int GpuGroupSize = 256;

    /// <summary>
    /// The group size of every implicitly grouped kernel (one index per work item, no barriers).
    /// PoCL runs each group on one core, and ILGPU's automatic choice there is PoCL's largest
    /// group, 4096 work items: every launch of fewer than 8192 items ran on one of the two cores.
    /// Those are most of a decoding step's launches (a batch-1 GEMM is 300 to 4000 items, its
    /// attention about 100), so at groups of 16 ARPG-L batch 1 went from 13.2 to 6.7 s on PoCL.
    /// ILGPU's CPU accelerator takes groups of one, its own automatic choice: its threads of a
    /// group wait for each other after every work item (groups of 4 made its convolutions 2x
    /// slower). GPUs take 256, or less where the device allows less.
    /// </summary>
    private int ImplicitGroupSize =>
        device.IsOpenClOnCpu ? PoclGroupSize
        : device.IsHostCpu ? 1
        : Math.Min(GpuGroupSize, Accelerator.MaxNumThreadsPerGroup);

    /// <summary>Throws when a view is shorter than the shape a kernel will address.</summary>
    private static void Require<T>(ILGPU.ArrayView<T> view, long needed, string what) where T : unmanaged
    {
        if (view.Length < needed)
            throw new ArgumentException($"{what}: view holds {view.Length} elements, the shape needs {needed}");
    }
}
