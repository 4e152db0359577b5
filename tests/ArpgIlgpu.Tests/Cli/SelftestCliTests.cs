using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>`arpg selftest --quick` (fp32, and int8 weights): the GPU kernels on PoCL and on the NVIDIA-like simulator match the CPU reference.</summary>
public class SelftestCliTests
{
    [Theory, OpenClGpu]
    public void TheGpuKernelsMatchTheCpuReference(string backend)
    {
        CliResult result = CliInvocation.Run(["selftest", "--quick", .. TestDevices.CliArguments(backend)]);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("tiny-random step 2 logits", result.Out);
        Assert.Contains("tiny-random vq decode", result.Out);
        Assert.DoesNotContain("FAIL", result.Out);
    }

    /// <summary>The int8 (q8_0) GEMMs of the GPU profile against the CPU accelerator's, on the same quantised model.</summary>
    [Theory, OpenClGpu]
    public void TheGpuInt8KernelsMatchTheCpuReference(string backend)
    {
        CliResult result = CliInvocation.Run(["selftest", "--quick", "--precision", "int8", .. TestDevices.CliArguments(backend)]);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("tiny-random step 2 logits", result.Out);
        Assert.DoesNotContain("FAIL", result.Out);
    }
}
