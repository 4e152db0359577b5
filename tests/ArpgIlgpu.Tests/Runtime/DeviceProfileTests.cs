using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Runtime;

/// <summary>The kernel profile table: how a device gets its profile, forcing one, and the table in the docs.</summary>
public class DeviceProfileTests
{
    [Theory]
    [InlineData(DeviceKind.Cpu, true, GpuSimulator.None, KernelProfile.Cpu)]
    [InlineData(DeviceKind.Cpu, true, GpuSimulator.Nvidia, KernelProfile.Gpu)]
    [InlineData(DeviceKind.Cpu, true, GpuSimulator.Intel, KernelProfile.Gpu)]
    [InlineData(DeviceKind.OpenCL, true, GpuSimulator.None, KernelProfile.HostOpenCl)]
    [InlineData(DeviceKind.OpenCL, false, GpuSimulator.None, KernelProfile.Gpu)]
    [InlineData(DeviceKind.Cuda, false, GpuSimulator.None, KernelProfile.Gpu)]
    public void AutoPicksTheProfileByTheDevice(DeviceKind kind, bool hostCpu, GpuSimulator simulator, KernelProfile expected) =>
        Assert.Equal(expected, DeviceProfile.For(KernelProfile.Auto, kind, hostCpu, simulator).Name);

    [Theory]
    [InlineData(KernelProfile.Cpu)]
    [InlineData(KernelProfile.HostOpenCl)]
    [InlineData(KernelProfile.Gpu)]
    public void AForcedProfileWinsOnEveryDevice(KernelProfile forced)
    {
        foreach (DeviceKind kind in new[] { DeviceKind.Cpu, DeviceKind.OpenCL, DeviceKind.Cuda })
            Assert.Equal(forced, DeviceProfile.For(forced, kind, kind != DeviceKind.Cuda, GpuSimulator.None).Name);
    }

    [Fact]
    public void TheGpuSimulatorsOpenWithTheirWarpSizesAndTheGpuProfile()
    {
        foreach ((string backend, int warp) in new[] { ("cpu:nvidia", 32), ("cpu:amd", 64), ("cpu:intel", 16) })
        {
            ComputeDevice device = TestDevices.Get(backend);
            Assert.Equal(warp, device.Accelerator.WarpSize);
            Assert.True(device.Accelerator.MaxNumThreadsPerGroup >= DeviceProfile.Gpu.ImplicitGroupSize, backend);
            Assert.Equal(KernelProfile.Gpu, device.Profile.Name);
        }
    }

    [Fact]
    public void TheGpuProfileOnThePlainCpuAcceleratorIsRefusedWithTheWayOut()
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0), KernelProfile.Gpu));
        Assert.Contains("cpu:nvidia", error.Message);
    }

    [Theory]
    [InlineData("auto", KernelProfile.Auto)]
    [InlineData("cpu", KernelProfile.Cpu)]
    [InlineData("HOST-OPENCL", KernelProfile.HostOpenCl)]
    [InlineData(" gpu", KernelProfile.Gpu)]
    public void ProfileNamesParse(string text, KernelProfile expected) => Assert.Equal(expected, KernelProfileNames.Parse(text));

    [Fact]
    public void AnUnknownProfileNameIsRefusedNamingTheChoices()
    {
        var error = Assert.Throws<InvalidInputException>(() => KernelProfileNames.Parse("tensor"));
        Assert.Contains("host-opencl", error.Message);
    }

    [Theory]
    [InlineData("cpu:nvidia", GpuSimulator.Nvidia)]
    [InlineData("CPU:AMD", GpuSimulator.Amd)]
    [InlineData("cpu:intel", GpuSimulator.Intel)]
    [InlineData("cpu", GpuSimulator.None)]
    public void SimulatorDeviceSpecsParseAndPrintBack(string text, GpuSimulator expected)
    {
        DeviceSpec spec = DeviceSpec.Parse(text);
        Assert.Equal((DeviceKind.Cpu, expected), (spec.Kind, spec.Simulator));
        Assert.Equal(text.ToLowerInvariant(), spec.ToString());
    }

    [Theory]
    [InlineData("cpu:1")]
    [InlineData("cpu:apple")]
    [InlineData("cpu:")]
    public void AnUnknownSimulatorIsRefused(string text)
    {
        var error = Assert.Throws<InvalidParameterException>(() => DeviceSpec.Parse(text));
        Assert.Contains("nvidia, amd or intel", error.Message);
    }

    /// <summary>docs/ARCHITECTURE.md shows the table as the code has it, so the map cannot go stale unnoticed.</summary>
    [Fact]
    public void TheArchitectureDocumentShowsTheTableOfTheCode()
    {
        string doc = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", "ARCHITECTURE.md")).ReplaceLineEndings("\n");
        int start = doc.IndexOf("<!-- profile-table", StringComparison.Ordinal);
        int end = doc.IndexOf("<!-- /profile-table -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/ARCHITECTURE.md has no profile-table markers");
        string shown = doc[(doc.IndexOf('\n', start) + 1)..end].Trim();
        Assert.Equal(DeviceProfile.MarkdownTable(), shown);
    }
}
