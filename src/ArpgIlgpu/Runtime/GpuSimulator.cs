using ILGPU.Runtime.CPU;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// ILGPU's CPU accelerator created as a GPU simulator (<c>--device cpu:nvidia|cpu:amd|cpu:intel</c>):
/// groups of up to 1024 or 256 threads made of warps of 32, 64 or 16, with shared memory, barriers
/// and warp shuffles behaving as on the GPU, one group at a time, slowly. Kernels that assume a
/// warp size, or race on shared memory, give wrong results on one of them; that is what they are for.
/// </summary>
public enum GpuSimulator
{
    /// <summary>The plain CPU accelerator (groups of at most 4 threads: barrier-free kernels only).</summary>
    None,
    /// <summary>NVIDIA-like: warps of 32, groups of up to 1024 (ILGPU's <c>CPUDevice.Nvidia</c>).</summary>
    Nvidia,
    /// <summary>Legacy AMD (GCN) like: warps of 64, groups of up to 256 (ILGPU's <c>CPUDevice.LegacyAMD</c>).</summary>
    Amd,
    /// <summary>
    /// Intel-like: warps of 16, groups of up to 256. ILGPU's <c>CPUDevice.Intel</c> caps groups at
    /// 128; Intel's GPUs take 512 or more, and our GPU kernels use groups of 256.
    /// </summary>
    Intel,
}

/// <summary>The ILGPU CPU devices behind each <see cref="GpuSimulator"/>.</summary>
internal static class GpuSimulators
{
    /// <summary>The CPU device that simulates <paramref name="simulator"/> (not None).</summary>
    public static CPUDevice Device(GpuSimulator simulator) => simulator switch
    {
        GpuSimulator.Nvidia => CPUDevice.Nvidia,
        GpuSimulator.Amd => CPUDevice.LegacyAMD,
        GpuSimulator.Intel => new CPUDevice(numThreadsPerWarp: 16, numWarpsPerMultiprocessor: 16, numMultiprocessors: 1),
        _ => throw new ArgumentOutOfRangeException(nameof(simulator)),
    };

    /// <summary>The name after <c>cpu:</c>.</summary>
    public static string Name(GpuSimulator simulator) => simulator.ToString().ToLowerInvariant();
}
