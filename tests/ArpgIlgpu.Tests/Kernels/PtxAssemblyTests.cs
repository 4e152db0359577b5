using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.PTX;
using ILGPU.Runtime.Cuda;
using Xunit;
using Xunit.Abstractions;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// Every kernel's PTX goes through NVIDIA's assembler (ptxas) for the A100 (sm_80) and the H100
/// (sm_90): PTX that ILGPU emits but a GPU driver would reject fails here, without a GPU. ptxas
/// also reports each kernel's registers and spills; a spill (registers stored to local memory)
/// in a kernel fails the test. Which kernels the GPU profile runs is decided by code in the op
/// wrappers, not by anything reflection can read, so every kernel is held to this.
/// </summary>
public class PtxAssemblyTests(ITestOutputHelper output)
{
    /// <summary>The architectures checked: ptxas 11.8 (CI's) knows sm_90 at most.</summary>
    private static readonly string[] Architectures = ["sm_80", "sm_90"];

    [PtxasFact]
    public void EveryKernelAssemblesForSm80AndSm90WithoutSpills()
    {
        var failures = new List<string>();
        output.WriteLine($"{"kernel",-52} {"regs sm_80",10} {"regs sm_90",10}  spills (store/load bytes)");
        foreach (string kernel in KernelCompilationTests.AllKernels().Select(k => (string)k[0]))
        {
            string ptx = Ptx(kernel);
            PtxasResult[] results = Architectures.Select(arch => Ptxas.Assemble(ptx, arch)).ToArray();
            for (int i = 0; i < Architectures.Length; i++)
            {
                PtxasResult r = results[i];
                if (!r.Succeeded)
                    failures.Add($"{kernel} on {Architectures[i]}: ptxas failed:\n{r.Output}");
                else if (r.Spills)
                    failures.Add($"{kernel} on {Architectures[i]}: spills {r.SpillStoreBytes} bytes stored, {r.SpillLoadBytes} loaded");
            }
            string spills = string.Join(", ", results.Zip(Architectures)
                .Where(p => p.First.Spills)
                .Select(p => $"{p.Second}: {p.First.SpillStoreBytes}/{p.First.SpillLoadBytes}"));
            output.WriteLine($"{kernel,-52} {results[0].Registers,10} {results[1].Registers,10}  {(spills.Length == 0 ? "none" : spills)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// The tensor-core GEMM: its inline PTX assembles for sm_80 and sm_90 without spills, in at
    /// most 128 registers (its doc comment's occupancy estimate: 4 groups of 128 threads per SM or
    /// more), and each of its 16 mma.sync per K-slice becomes one HMMA.16816.F32 where nvdisasm is
    /// present (.ci/run installs it beside ptxas).
    /// </summary>
    [PtxasFact]
    public void TheTensorCoreGemmBecomesHmmaWithoutSpills()
    {
        string ptx = Ptx("TensorCoreGemmKernels.Mma");
        Assert.Equal(16, Regex.Matches(ptx, @"mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.f16\.f16\.f32").Count);
        foreach (string arch in Architectures)
        {
            PtxasResult r = Ptxas.Assemble(ptx, arch);
            Assert.True(r.Succeeded, r.Output);
            Assert.False(r.Spills, $"{arch}: spills {r.SpillStoreBytes}/{r.SpillLoadBytes} bytes");
            Assert.InRange(r.Registers, 1, 128);
            output.WriteLine($"TensorCoreGemmKernels.Mma on {arch}: {r.Registers} registers, no spills");
            if (Ptxas.NvdisasmPath is null)
            {
                output.WriteLine("nvdisasm absent: the SASS is not checked");
                continue;
            }
            string sass = Ptxas.Sass(ptx, arch);
            Assert.Equal(16, Regex.Matches(sass, @"HMMA\.16816\.F32").Count);
            output.WriteLine($"  SASS: {Regex.Matches(sass, @"HMMA\.16816\.F32").Count} HMMA.16816.F32, {Regex.Matches(sass, @"\bLDS\b").Count} LDS");
        }
    }

    /// <summary>The check itself can fail: ptxas rejects a kernel whose PTX lost its closing brace.</summary>
    [PtxasFact]
    public void BrokenPtxFailsToAssemble()
    {
        string ptx = Ptx("ElementwiseKernels.Copy");
        Assert.True(Ptxas.Assemble(ptx, "sm_80").Succeeded);
        Assert.False(Ptxas.Assemble(ptx[..ptx.LastIndexOf('}')], "sm_80").Succeeded);
    }

    /// <summary>Spills and registers are read from ptxas -v's report, summed over the functions it lists.</summary>
    [Fact]
    public void ReadsSpillsAndRegistersFromPtxasReport()
    {
        const string report = """
            ptxas info    : Compiling entry function 'Kernel' for 'sm_80'
            ptxas info    : Function properties for Kernel
                8 bytes stack frame, 8 bytes spill stores, 12 bytes spill loads
            ptxas info    : Used 255 registers, 380 bytes cmem[0]
            """;
        PtxasResult result = PtxasResult.Parse(0, report);
        Assert.True(result.Succeeded);
        Assert.Equal((255, 8, 12), (result.Registers, result.SpillStoreBytes, result.SpillLoadBytes));
        Assert.True(result.Spills);
        Assert.False(PtxasResult.Parse(0, report.Replace("8 bytes spill stores, 12", "0 bytes spill stores, 0")).Spills);
    }

    /// <summary>
    /// A kernel's PTX for sm_80 in PTX ISA 7.8, the newest that ptxas 11.8 reads (a newer driver
    /// takes newer ISAs, as the kernel-compilation test's 8.0); the same PTX is assembled for
    /// sm_90 with its .target line changed.
    /// </summary>
    private static string Ptx(string kernel)
    {
        using Context context = KernelCompilationTests.DeviceFreeContext();
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null!);
        return ((PTXCompiledKernel)backend.Compile(KernelCompilationTests.EntryPoint(kernel), default)).PTXAssembly;
    }
}
