using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// `--device a,b`: each batch is split into contiguous chunks by image index, one per device, run
/// in parallel. An image's tokens depend only on the seed, its index and the settings, so the
/// split must change nothing. (This machine has no GPU: CUDA multi-GPU runs could not be tested
/// here; the split itself is the same code for any list of devices.)
/// </summary>
public class MultiDeviceCliTests
{
    private static string[] Generate(TempDirectory dir, string device, bool pictures, string tokens) =>
    [
        "generate", "--classes", "3,7,1", "--config", Fixtures.PathOf("tiny", "json"),
        "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"), "--steps", "4", "--seed", "5",
        "--device", device, "--save-tokens", dir.File(tokens),
        .. pictures ? ["--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"), "--out", dir.File(device.Replace(',', '+'))] : Array.Empty<string>(),
    ];

    [Fact]
    public void TwoDevicesGiveTheTokensAndPicturesOfOne()
    {
        using var dir = new TempDirectory();
        string one = FastestBackend.Name, two = $"{one},{one}";

        CliResult single = CliInvocation.Run(Generate(dir, one, pictures: true, "one.json"));
        CliResult split = CliInvocation.Run(Generate(dir, two, pictures: true, "two.json"));

        Assert.True(single.ExitCode == 0, single.Error);
        Assert.True(split.ExitCode == 0, split.Error);
        Assert.Contains("device 0: images 0..1", split.Error); // 3 images: 2 + 1
        Assert.Contains("device 1: images 2..2", split.Error);
        Assert.Equal(TokenFile.Read(dir.File("one.json")).Tokens, TokenFile.Read(dir.File("two.json")).Tokens);
        string[] names = Directory.GetFiles(dir.File(one)).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(3, names.Length);
        Assert.Equal(names, Directory.GetFiles(dir.File(two.Replace(',', '+'))).Select(f => Path.GetFileName(f)).Order());
        Assert.All(names, n => Assert.Equal(File.ReadAllBytes(Path.Combine(dir.File(one), n)),
            File.ReadAllBytes(Path.Combine(dir.File(two.Replace(',', '+')), n))));
    }

    [Theory, OpenCl]
    public void TheCpuAcceleratorAndOpenClTogetherGiveTheTokensOfTheCpuAlone(string backend)
    {
        _ = TestDevices.Get(backend);
        using var dir = new TempDirectory();

        CliResult cpu = CliInvocation.Run(Generate(dir, "cpu", pictures: false, "cpu.json"));
        CliResult mixed = CliInvocation.Run(Generate(dir, "cpu,opencl:0", pictures: false, "mixed.json"));

        Assert.True(cpu.ExitCode == 0, cpu.Error);
        Assert.True(mixed.ExitCode == 0, mixed.Error);
        Assert.Equal(TokenFile.Read(dir.File("cpu.json")).Tokens, TokenFile.Read(dir.File("mixed.json")).Tokens);
    }

    [Fact]
    public void AllWithoutAGpuFallsBackToTheDeviceAutoPicks()
    {
        using var dir = new TempDirectory();

        CliResult result = CliInvocation.Run(Generate(dir, "all", pictures: false, "t.json"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("no GPU found", result.Error);
    }
}
