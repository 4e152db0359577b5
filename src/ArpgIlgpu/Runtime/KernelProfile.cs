namespace ArpgIlgpu.Runtime;

/// <summary>
/// Which family of kernels a device runs. <see cref="Auto"/> picks by the
/// device; any other value forces that family on any device, so the GPU kernels can be run, and
/// tested, on a CPU (PoCL runs them as real OpenCL C with local memory and barriers; ILGPU's GPU
/// simulators as warps of 32, 64 or 16 threads).
/// </summary>
public enum KernelProfile
{
    /// <summary>By the device: ILGPU's CPU accelerator -> Cpu, OpenCL on a CPU -> HostOpenCl, GPUs and GPU simulators -> Gpu.</summary>
    Auto,
    /// <summary>Barrier-free kernels with long runs per thread: what ILGPU's CPU accelerator runs fastest.</summary>
    Cpu,
    /// <summary>Barrier-free kernels whose inner loops PoCL vectorises, in groups of 16.</summary>
    HostOpenCl,
    /// <summary>Kernels built for GPUs: shared-memory tiles, a group per row, coalesced accesses.</summary>
    Gpu,
}

/// <summary>Parsing and naming of <see cref="KernelProfile"/> values as the command line writes them.</summary>
public static class KernelProfileNames
{
    /// <summary>The names, in <see cref="KernelProfile"/> order.</summary>
    public static readonly string[] All = ["auto", "cpu", "host-opencl", "gpu"];

    /// <summary>The name of a profile: auto, cpu, host-opencl or gpu.</summary>
    public static string Name(this KernelProfile profile) => All[(int)profile];

    /// <summary>Reads a profile name; throws <see cref="InvalidInputException"/> naming the value.</summary>
    public static KernelProfile Parse(string text)
    {
        int i = Array.IndexOf(All, text.Trim().ToLowerInvariant());
        return i >= 0
            ? (KernelProfile)i
            : throw new InvalidInputException($"kernel profile '{text}': expected one of {string.Join(", ", All)}");
    }
}
