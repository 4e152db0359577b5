using System.Diagnostics;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// What this device does at best, measured in the same run as a benchmark so that achieved
/// numbers can be reported as fractions of it (shared machines are noisy; ratios are not):
/// copy bandwidth (a kernel that streams 2 x 64 MiB) and the best GEMM of our kernel library.
/// </summary>
/// <param name="BandwidthGBs">Bytes read plus written per second by the copy kernel, in GB/s.</param>
/// <param name="GemmGflops">Our GEMM at <paramref name="GemmSize"/> cubed, in GFLOP/s.</param>
/// <param name="GemmSize">M = N = K of the GEMM probe (smaller on the slow CPU accelerator).</param>
public sealed record DevicePeaks(double BandwidthGBs, double GemmGflops, int GemmSize)
{
    /// <summary>Runs both probes (a few seconds).</summary>
    public static DevicePeaks Measure(ComputeDevice device)
    {
        const int floats = 16 << 20;
        double copySeconds;
        using (var src = new Tensor<float>(device, floats))
        using (var dst = new Tensor<float>(device, floats))
        {
            src.Clear();
            copySeconds = Best(device, () => device.Ops.Copy(src.View, dst.View));
        }

        int n = device.Kind switch { DeviceKind.Cpu => 256, DeviceKind.Cuda => 4096, _ => 512 };
        double gemmSeconds;
        using (var a = new Tensor<float>(device, n, n))
        using (var b = new Tensor<float>(device, n, n))
        using (var c = new Tensor<float>(device, n, n))
        {
            a.Clear();
            b.Clear();
            gemmSeconds = Best(device, () => device.Ops.Gemm(a.View, b.View, c.View, n, n, n));
        }
        return new DevicePeaks(2.0 * floats * sizeof(float) / copySeconds / 1e9, 2.0 * n * n * n / gemmSeconds / 1e9, n);
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
