using ILGPU.Runtime.CPU;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// ILGPU's CPU accelerator created as a GPU simulator (device <c>cpu:nvidia|cpu:amd|cpu:intel</c>):
/// groups of up to 256 threads made of warps of 32, 64 or 16, with shared memory, barriers and warp
/// shuffles behaving as on the GPU, one group at a time, slowly. Kernels that assume a warp size, or
/// race on shared memory, give wrong results on one of them; that is what they are for.
/// Every simulator allows groups of 256, the most our GPU kernels launch: the simulator runs one OS
/// thread per thread of its largest group, so ILGPU's own NVIDIA preset (groups of 1024) would only
/// add 768 idle threads to every launch.
/// </summary>
public enum GpuSimulator
{
    /// <summary>The plain CPU accelerator (groups of at most 4 threads: barrier-free kernels only).</summary>
    None,
    /// <summary>NVIDIA-like: warps of 32 (ILGPU's <c>CPUDevice.Nvidia</c> has groups of up to 1024; ours 256).</summary>
    Nvidia,
    /// <summary>Legacy AMD (GCN) like: warps of 64, groups of up to 256 (ILGPU's <c>CPUDevice.LegacyAMD</c>).</summary>
    Amd,
    /// <summary>
    /// Intel-like: warps of 16, groups of up to 256 (ILGPU's <c>CPUDevice.Intel</c> caps groups at
    /// 128; Intel's GPUs take 512 or more).
    /// </summary>
    Intel,
}

/// <summary>The ILGPU CPU devices behind each <see cref="GpuSimulator"/>.</summary>
internal static class GpuSimulators
{
    /// <summary>The CPU device that simulates <paramref name="simulator"/> (not None).</summary>
    public static CPUDevice Device(GpuSimulator simulator) => simulator switch
    {
        GpuSimulator.Nvidia => Groups256(warp: 32),
        GpuSimulator.Amd => CPUDevice.LegacyAMD,
        GpuSimulator.Intel => Groups256(warp: 16),
        _ => throw new ArgumentOutOfRangeException(nameof(simulator)),
    };

    /// <summary>One multiprocessor whose groups hold up to 256 threads in warps of <paramref name="warp"/>.</summary>
    private static CPUDevice Groups256(int warp) =>
        new(numThreadsPerWarp: warp, numWarpsPerMultiprocessor: 256 / warp, numMultiprocessors: 1);

    /// <summary>The name after <c>cpu:</c>.</summary>
    public static string Name(GpuSimulator simulator) => simulator.ToString().ToLowerInvariant();
}
