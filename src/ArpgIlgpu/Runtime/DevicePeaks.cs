using System.Diagnostics;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// What this device does at best, measured in the same run as a benchmark so that achieved
/// numbers can be reported as fractions of it (shared machines are noisy; ratios are not):
/// copy bandwidth (a kernel that streams 64 MiB into another 64 MiB), read bandwidth (a kernel
/// that reads <see cref="ReadProbeFloats"/> floats and writes one per run of 256 to 65536,
/// <see cref="Kernels.Ops.SumRuns"/>: what a decoding step does with its weights) and the best
/// GEMM of our kernel library.
/// </summary>
/// <param name="CopyBandwidthGBs">Bytes read plus written per second by the copy kernel, in GB/s.</param>
/// <param name="ReadBandwidthGBs">Bytes read (plus the few partial sums written) per second by the read kernel, in GB/s.</param>
/// <param name="GemmGflops">Our GEMM at <paramref name="GemmSize"/> cubed, in GFLOP/s.</param>
/// <param name="GemmSize">M = N = K of the GEMM probe (smaller on the slow CPU accelerator).</param>
public sealed record DevicePeaks(double CopyBandwidthGBs, double ReadBandwidthGBs, double GemmGflops, int GemmSize)
{
    /// <summary>
    /// Timed runs of the GEMM probe: each takes a few milliseconds on a CPU, where the best of 5
    /// still varied by 1.7x between runs of the same command on a shared machine.
    /// </summary>
    private const int GemmProbeRepeats = 40;

    /// <summary>Floats the copy probe copies (64 MiB).</summary>
    private const int CopyProbeFloats = 16 << 20;

    /// <summary>
    /// Floats the read probe reads: 1 GiB, more than a last-level cache holds, as a decoding step's
    /// weights are (1.28 GB for ARPG-L in float32: they come from memory, not from cache), where
    /// the device's budget has room for it (at most an eighth of what it may still allocate, at
    /// least the copy probe's 64 MiB); 64 MiB on ILGPU's CPU accelerator, whose slow kernels would
    /// take seconds per pass. A multiple of every run length of <see cref="Kernels.Ops.SumRunLength"/>.
    /// </summary>
    internal static int ReadProbeFloats(ComputeDevice device) =>
        device.Kind == DeviceKind.Cpu ? CopyProbeFloats
        : (int)Math.Clamp(device.Memory.Available / 8 / sizeof(float) / CopyProbeFloats, 1, 16) * CopyProbeFloats;

    /// <summary>Runs the three probes (a few seconds).</summary>
    public static DevicePeaks Measure(ComputeDevice device)
    {
        const int floats = CopyProbeFloats;
        double copySeconds, readSeconds;
        using (var src = new Tensor<float>(device, floats))
        {
            src.Clear();
            using var dst = new Tensor<float>(device, floats);
            copySeconds = Best(device, () => device.Ops.Copy(src.View, dst.View));
        }
        int read = ReadProbeFloats(device), sums = read / device.Ops.SumRunLength;
        using (var src = new Tensor<float>(device, read))
        using (var partial = new Tensor<float>(device, sums))
        {
            src.Clear();
            readSeconds = Best(device, () => device.Ops.SumRuns(src.View, partial.View));
        }

        int n = device.Kind switch { DeviceKind.Cpu => 256, DeviceKind.Cuda => 4096, _ => 512 };
        double gemmSeconds;
        using (var a = new Tensor<float>(device, n, n))
        using (var b = new Tensor<float>(device, n, n))
        using (var c = new Tensor<float>(device, n, n))
        {
            a.Clear();
            b.Clear();
            gemmSeconds = Best(device, () => device.Ops.Gemm(a.View, b.View, c.View, n, n, n), GemmProbeRepeats);
        }
        return new DevicePeaks(2.0 * floats * sizeof(float) / copySeconds / 1e9,
            ((double)read + sums) * sizeof(float) / readSeconds / 1e9, 2.0 * n * n * n / gemmSeconds / 1e9, n);
    }

    /// <summary>The fastest of a few timed runs after a warm-up (which also compiles the kernel).</summary>
    public static double Best(ComputeDevice device, Action run, int repeats = 5)
    {
        run();
        device.Synchronize();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            device.Synchronize();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }
}
