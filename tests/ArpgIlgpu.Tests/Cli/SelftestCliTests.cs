using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>`arpg selftest --quick`: the GPU kernels on PoCL and on the NVIDIA-like simulator match the CPU reference.</summary>
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
}
