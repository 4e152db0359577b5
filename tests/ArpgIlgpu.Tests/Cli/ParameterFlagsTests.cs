using System.Text.RegularExpressions;
using ArpgIlgpu.Cli;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// The library names its parameters (Steps); only the command line knows its flags (--steps):
/// no library message spells a flag, and the CLI's table turns a parameter into its flag.
/// </summary>
public class ParameterFlagsTests
{
    [Fact]
    public void NoLibraryFileSpellsACommandLineFlag()
    {
        string library = Path.Combine(Fixtures.RepoRoot, "src", "ArpgIlgpu");
        var flag = new Regex(@"--[a-z]");
        string[] found = Directory.GetFiles(library, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line.Trim())))
            .Where(l => flag.IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(library, l.File)}:{l.Line}: {l.Text}")
            .ToArray();
        Assert.Empty(found);
    }

    [Fact]
    public void TheCommandLineNamesTheFlagOfTheParameter()
    {
        var e = Assert.Throws<InvalidParameterException>(() => new GenerationOptions { Steps = 0 }.Validate(64));

        Assert.Equal("Steps 0: must be between 1 and 64 (the number of tokens)", e.Message);
        Assert.Equal("--steps 0: must be between 1 and 64 (the number of tokens)", ParameterFlags.Describe(e));
    }

    [Fact]
    public void ADeviceErrorSaysWhereTheDevicesAreListed()
    {
        var e = Assert.Throws<InvalidParameterException>(() => DeviceSpec.Parse("tpu"));
        Assert.Equal("--device 'tpu': expected auto, cpu, cpu:nvidia, cpu:amd, cpu:intel, cuda[:i] or opencl[:i]; `arpg devices` lists them",
            ParameterFlags.Describe(e));
    }

    [Fact]
    public void AParameterWithoutAFlagKeepsTheLibrarysMessage()
    {
        var e = new InvalidParameterException("known tokens", null, "no images");
        Assert.Equal("known tokens: no images", ParameterFlags.Describe(e));
    }
}
