using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using System.CommandLine;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg bench kernels`: each op at ARPG-L and VQ-16 shapes against the device's measured peaks.</summary>
internal static class KernelBenchCommand
{
    public static Command Create(ModelOptions models, Option<bool> json)
    {
        var command = new Command("kernels", "Benchmark each kernel: time, GFLOP/s, GB/s and fractions of the device's peaks");
        command.SetAction(parsed =>
        {
            using ComputeDevice d = models.OpenDevice(parsed);
            DevicePeaks peaks = DevicePeaks.Measure(d);
            IReadOnlyList<KernelTiming> timings = KernelBenchmark.Run(d, peaks, p => Console.Error.WriteLine($"  {p}"));
            if (parsed.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    device = d.Description,
                    copy_bandwidth_gbs = peaks.CopyBandwidthGBs,
                    read_bandwidth_gbs = peaks.ReadBandwidthGBs,
                    peak_gemm_gflops = peaks.GemmGflops,
                    kernels = timings.Select(t => new
                    {
                        op = t.Op, shape = t.Shape, ms = t.Seconds * 1e3, gflops = t.Gflops, gbs = t.Gbs,
                        fraction_of_peak_gemm = t.FractionOfGemm, fraction_of_copy_bandwidth = t.FractionOfBandwidth,
                    }),
                }, new JsonSerializerOptions { WriteIndented = true }));
                return CommandRunner.Ok;
            }
            Console.WriteLine($"device: {d.Description}");
            Console.WriteLine($"peaks: copy {peaks.CopyBandwidthGBs:F1} GB/s, read {peaks.ReadBandwidthGBs:F1} GB/s, GEMM {peaks.GemmGflops:F1} GFLOP/s ({peaks.GemmSize}^3)");
            Console.WriteLine($"{"op",-20} {"shape",-32} {"ms",9} {"GFLOP/s",9} {"GB/s",8} {"of GEMM",8} {"of BW",7}");
            foreach (KernelTiming t in timings)
                Console.WriteLine($"{t.Op,-20} {t.Shape,-32} {t.Seconds * 1e3,9:F3} {t.Gflops,9:F2} {t.Gbs,8:F2} {t.FractionOfGemm,8:P0} {t.FractionOfBandwidth,7:P0}");
            return CommandRunner.Ok;
        });
        return command;
    }
}
