using System.Text.RegularExpressions;
using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Tests.Runtime;

/// <summary>
/// <see cref="MultiplyAdd.Mad"/> reaches the OpenCL compiler as one expression, and PoCL fuses it
/// into one FMA (without this the GEMM on PoCL ran at 61-82 GFLOP/s instead of about 110).
/// </summary>
public class MultiplyAddTests
{
    // a = b = 1 + 2^-12, c = -(1 + 2^-11): a*b = 1 + 2^-11 + 2^-24 exactly. Rounded to float first
    // (a tie, to even) it is 1 + 2^-11, so a*b + c is 0; fused, it is 2^-24.
    private const float A = 1f + 1f / 4096, C = -(1f + 1f / 2048);
    private const float Fused = 1f / (1 << 24);

    private static void MadKernel(Index1D i, ArrayView<float> v) => v[i * 4 + 3] = Mad(v[i * 4], v[i * 4 + 1], v[i * 4 + 2]);

    private static float RunMad(ComputeDevice device, float a, float b, float c)
    {
        using var buffer = device.Accelerator.Allocate1D([a, b, c, float.NaN]);
        device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(MadKernel)(1, buffer.View);
        return buffer.GetAsArray1D()[3];
    }

    [Fact]
    public void TheExampleRoundsToZeroUnfused() => Assert.Equal(0f, Unfused(A, A, C));

    /// <summary>Fused where the CPU has FMA instructions; LLVM splits it again where it has none.</summary>
    [Theory, OpenCl]
    public void PoclFusesTheMultiplyAndTheAdd(string backend) =>
        Assert.Equal(CpuHasFma() ? Fused : Unfused(A, A, C), RunMad(TestDevices.Get(backend), A, A, C));

    [Theory, Cpu]
    public void TheCpuAcceleratorRunsTheCSharpBody(string backend) =>
        Assert.Equal(Unfused(A, A, C), RunMad(TestDevices.Get(backend), A, A, C));

    private static bool CpuHasFma() =>
        !File.Exists("/proc/cpuinfo") || Regex.IsMatch(File.ReadAllText("/proc/cpuinfo"), @"^flags\s*:.*\bfma\b", RegexOptions.Multiline);
}
