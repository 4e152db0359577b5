namespace ArpgIlgpu.Tests;

/// <summary>
/// The backend for end-to-end tests whose subject is not the backend (files, resumption, shards,
/// splitting): OpenCL where present (PoCL in CI runs the VQ decoder about 4x faster than ILGPU's
/// CPU accelerator), else the CPU accelerator. Kernel correctness is tested on both elsewhere.
/// </summary>
public static class FastestBackend
{
    /// <summary>"opencl" or "cpu", as <c>--device</c> takes it.</summary>
    public static string Name => TestDevices.OpenClSkipReason is null ? "opencl" : "cpu";
}
