using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ArpgIlgpu.Tests;

/// <summary>
/// NVIDIA's PTX assembler, ptxas, run on PTX text: the check that ILGPU's PTX really assembles for
/// a GPU, and how many registers and spills each kernel takes, with no GPU present. It is found as
/// $ARPG_PTXAS, else on PATH. CI (.ci/run) unpacks it from Debian's nvidia-cuda-toolkit (CUDA 11.8:
/// PTX ISA up to 7.8, sm_90 at most).
/// </summary>
internal static partial class Ptxas
{
    /// <summary>The ptxas binary, or null where there is none.</summary>
    public static string? Path { get; } = Locate();

    /// <summary>Why ptxas tests are skipped here, or null when ptxas is present.</summary>
    public static string? SkipReason => Path is null
        ? "needs NVIDIA's PTX assembler: set ARPG_PTXAS to a ptxas binary or put one on PATH " +
          "(.ci/run unpacks usr/bin/ptxas from Debian's nvidia-cuda-toolkit, contrib non-free)"
        : null;

    /// <summary>
    /// Assembles <paramref name="ptx"/> for <paramref name="arch"/> ("sm_80") with -v. The PTX's
    /// .target line is set to <paramref name="arch"/>, so PTX that ILGPU made for an older
    /// architecture is checked against the newer one's rules.
    /// </summary>
    public static PtxasResult Assemble(string ptx, string arch) => Assemble(ptx, arch, _ => { });

    /// <summary>
    /// NVIDIA's cubin disassembler, nvdisasm, from the same package as ptxas: $ARPG_NVDISASM, else
    /// next to ptxas, else on PATH; null where there is none.
    /// </summary>
    public static string? NvdisasmPath { get; } = LocateNvdisasm();

    /// <summary>The machine code (SASS) ptxas makes of <paramref name="ptx"/> for <paramref name="arch"/>, as nvdisasm prints it.</summary>
    public static string Sass(string ptx, string arch)
    {
        string sass = "";
        PtxasResult result = Assemble(ptx, arch, cubin => sass = Run(NvdisasmPath!, cubin).Output);
        return result.Succeeded ? sass : throw new InvalidOperationException($"ptxas failed:\n{result.Output}");
    }

    /// <summary>Assembles as <see cref="Assemble(string, string)"/>, then hands the cubin's path to <paramref name="inspect"/> before it is deleted.</summary>
    private static PtxasResult Assemble(string ptx, string arch, Action<string> inspect)
    {
        string dir = Directory.CreateTempSubdirectory("arpg-ptxas-").FullName;
        try
        {
            string input = System.IO.Path.Combine(dir, "kernel.ptx"), cubin = System.IO.Path.Combine(dir, "kernel.cubin");
            File.WriteAllText(input, TargetLine().Replace(ptx, $".target {arch}", 1));
            (int exitCode, string output) = Run(Path ?? throw new InvalidOperationException(SkipReason), "-v", $"-arch={arch}", "-o", cubin, input);
            PtxasResult result = PtxasResult.Parse(exitCode, output);
            if (result.Succeeded)
                inspect(cubin);
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs a program to its end: its exit code and its stdout and stderr together.</summary>
    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    private static string? LocateNvdisasm()
    {
        string? configured = Environment.GetEnvironmentVariable("ARPG_NVDISASM");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? configured : null;
        string? besidePtxas = Path is null ? null : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "nvdisasm");
        return besidePtxas is not null && File.Exists(besidePtxas) ? besidePtxas : OnPath("nvdisasm");
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => System.IO.Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    private static string? Locate()
    {
        string? configured = Environment.GetEnvironmentVariable("ARPG_PTXAS");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? configured : null;
        return OnPath("ptxas");
    }

    [GeneratedRegex(@"^\s*\.target\s+\S+", RegexOptions.Multiline)]
    private static partial Regex TargetLine();
}

/// <summary>What ptxas -v said of one kernel: success, registers, spilled bytes, and its whole output.</summary>
internal sealed partial record PtxasResult(bool Succeeded, int Registers, int SpillStoreBytes, int SpillLoadBytes, string Output)
{
    /// <summary>True when ptxas spilled registers to local memory.</summary>
    public bool Spills => SpillStoreBytes > 0 || SpillLoadBytes > 0;

    /// <summary>
    /// Reads ptxas -v's report ("N bytes stack frame, N bytes spill stores, N bytes spill loads",
    /// "Used N registers"), summed over the entry and any functions it calls.
    /// </summary>
    public static PtxasResult Parse(int exitCode, string output)
    {
        int Sum(Regex regex) => regex.Matches(output).Sum(m => int.Parse(m.Groups[1].Value));
        bool failed = exitCode != 0 || output.Contains("error", StringComparison.OrdinalIgnoreCase);
        int registers = UsedRegisters().Matches(output).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();
        return new PtxasResult(!failed, registers, Sum(SpillStores()), Sum(SpillLoads()), output);
    }

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedRegisters();

    [GeneratedRegex(@"(\d+) bytes spill stores")]
    private static partial Regex SpillStores();

    [GeneratedRegex(@"(\d+) bytes spill loads")]
    private static partial Regex SpillLoads();
}

/// <summary>A fact that needs ptxas (<see cref="Ptxas"/>); skipped, saying what to install, where it is absent.</summary>
public sealed class PtxasFactAttribute : Xunit.FactAttribute
{
    /// <summary>Skips the test where there is no ptxas.</summary>
    public PtxasFactAttribute() => Skip = Ptxas.SkipReason;
}
