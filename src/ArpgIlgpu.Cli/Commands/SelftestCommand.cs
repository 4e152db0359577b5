using System.Diagnostics;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg selftest [--device D] [--kernels P] [--precision fp16|int8] [--tensor-cores] [--quick]`: checks a
/// device's kernels against ILGPU's CPU accelerator (the Cpu kernel profile, with the same
/// precision and tensor-core arithmetic) on random models (<see cref="SelfTest"/>): the tiny
/// random model, an ARPG-L-width model (<see cref="SelfTest.ArpgLWidth"/>) and a decode of the
/// tiny VQ (--quick: no ARPG-L width, a smaller decode). Prints one row per compared phase; exits 0 when everything
/// matches, and with the device-failure code (5) naming the rows that do not: wrong results are the
/// device's (its driver's or our kernels' on it), not the user's input.
/// </summary>
internal static class SelftestCommand
{
    /// <summary>The exit code of a mismatch.</summary>
    private const int Mismatch = CommandRunner.DeviceFailed;

    public static Command Create()
    {
        var models = new ModelOptions();
        var quick = new Option<bool>("--quick")
        {
            Description = $"Only the tiny random model, and the tiny VQ on a {SelfTest.QuickVqGrid} x {SelfTest.QuickVqGrid} grid " +
                          $"(skips the ARPG-L-width model, {SelfTest.ArpgLWidth.Dim} wide, whose CPU reference takes longest)",
        };
        var command = new Command("selftest",
            "Check the device's kernels against the CPU reference: random models, 2 decoding steps, every phase, logits, tokens and a VQ decode");
        command.Options.Add(models.Device);
        command.Options.Add(models.Kernels);
        command.Options.Add(models.Precision);
        command.Options.Add(models.TensorCores);
        command.Options.Add(quick);
        command.SetAction(parsed =>
        {
            using ComputeDevice device = models.OpenDevice(parsed);
            // with --tensor-cores the reference computes the same arithmetic (fp16 activations) on the CPU
            using ComputeDevice reference = ComputeDevice.Open(DeviceSpec.Parse("cpu"), KernelProfile.Cpu, parsed.GetValue(models.TensorCores));
            Precision precision = models.ReadPrecision(parsed);
            var rows = new List<SelfTestRow>();
            void Part(string what, Func<IEnumerable<SelfTestRow>> compare)
            {
                long start = Stopwatch.GetTimestamp();
                rows.AddRange(compare());
                Console.Error.WriteLine($"selftest: {what} compared in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
            }
            bool full = !parsed.GetValue(quick);
            int vqGrid = full ? TinyRandom.Arpg.GridSize : SelfTest.QuickVqGrid;
            Part(TinyRandom.Name, () => SelfTest.CompareTransformers(device, reference, TinyRandom.Arpg, TinyRandom.Name, precision));
            Part("the tiny VQ", () => [SelfTest.CompareVqDecode(device, reference, TinyRandom.Vq, vqGrid, TinyRandom.Name)]);
            if (full)
                Part("ARPG-L width", () => SelfTest.CompareTransformers(device, reference, SelfTest.ArpgLWidth, "ARPG-L-width", precision));

            Console.WriteLine(SelfTest.Format(rows));
            string[] failed = rows.Where(r => !r.Ok).Select(r => r.Name).ToArray();
            if (failed.Length == 0)
            {
                Console.WriteLine($"selftest: all {rows.Count} checks match the CPU reference");
                return CommandRunner.Ok;
            }
            Console.WriteLine($"selftest: {failed.Length} of {rows.Count} checks differ from the CPU reference: {string.Join(", ", failed)}");
            return Mismatch;
        });
        return command;
    }
}
