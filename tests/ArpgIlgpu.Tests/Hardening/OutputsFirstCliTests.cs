using ArpgIlgpu.Imaging;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Commands check every output before their first step (no pictures made and then thrown away),
/// read inputs through the input gate, and a resumed `sample` clears what a killed run left.
/// </summary>
public sealed class OutputsFirstCliTests
{
    private static string[] Generate(string folder, params string[] extra) =>
        ["generate", "--model", "tiny-random", "--classes", "1,2", "--steps", "1", "--device", "cpu", "--out", folder, .. extra];

    /// <summary>Bad --save-tokens targets, with the out folder as {out} and its PNGs as {png0}, {png1}: each refused before any PNG is written.</summary>
    public static TheoryData<string> BadTokenTargets() =>
    [
        "{out}/{png0}", "{out}/{png1}", "{out}/./{png1}", "{out}/../out/{png0}",
        "{out}", "{dir}/missing/tokens.json", "{dir}/link-to-null", "{dir}/a-directory", "{out}/grid.png",
    ];

    [LinuxTheory("device nodes, FIFOs and sockets (statx)"), MemberData(nameof(BadTokenTargets))]
    public void GenerateRefusesABadSaveTokensTargetBeforeItsFirstStep(string template)
    {
        using var dir = new TempDirectory();
        string output = dir.File("out");
        Directory.CreateDirectory(dir.File("a-directory"));
        File.CreateSymbolicLink(dir.File("link-to-null"), "/dev/null");
        string target = template.Replace("{out}", output).Replace("{dir}", dir.Path)
            .Replace("{png0}", ArpgIlgpu.Cli.OutputFolder.ImageName(0, 1)).Replace("{png1}", ArpgIlgpu.Cli.OutputFolder.ImageName(1, 2));
        CliResult result = CliInvocation.Run(Generate(output, "--grid", "--save-tokens", target));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--save-tokens", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'), line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.Empty(Directory.Exists(output) ? Directory.GetFiles(output, "*.png") : []);
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(dir.File("link-to-null")));
    }

    [Fact]
    public void GenerateWritesTokensBesideItsPictures()
    {
        using var dir = new TempDirectory();
        CliResult result = CliInvocation.Run(Generate(dir.File("out"), "--save-tokens", dir.File("out/tokens.json")));
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.True(File.Exists(dir.File("out/tokens.json")));
    }

    /// <summary>Every command that reads a user's file refuses a special file there in one line, exit 2.</summary>
    public static TheoryData<string, string> SpecialInputs()
    {
        var cases = new TheoryData<string, string>();
        foreach (string kind in new[] { "/dev/zero", "directory", "endless pipe" })
        {
            cases.Add("decode --model tiny-random --device cpu --tokens {f}", kind);
            cases.Add("encode {f} --model tiny-random --device cpu --save-tokens {dir}/t.json", kind);
            cases.Add("inspect {f}", kind);
            cases.Add("generate --model tiny-random --classes 1 --steps 1 --device cpu --out {dir}/o --order {f}", kind);
            cases.Add("bench --config {f} --random-weights --memory-only --device cpu", kind);
        }
        return cases;
    }

    [LinuxTheory("device nodes, FIFOs and sockets (statx)"), MemberData(nameof(SpecialInputs))]
    public async Task CommandsRefuseSpecialInputFiles(string command, string kind)
    {
        using var dir = new TempDirectory();
        string file = dir.File("input");
        Task writer = SpecialFiles.Make(kind, file);
        CliResult result = CliInvocation.Run(command.Replace("{f}", file).Replace("{dir}", dir.Path).Split(' '));
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(file, result.Error);
        Assert.DoesNotContain("internal error", result.Error);
    }

    /// <summary>
    /// A killed sample run leaves temporary PNGs and possibly a damaged one; the next run removes
    /// the temporaries of its images, makes the damaged one again, and writes the archive.
    /// </summary>
    [Fact]
    public void ResumedSampleRemovesStaleTemporariesAndRemakesTruncatedPngs()
    {
        using var dir = new TempDirectory();
        string output = dir.File("samples");
        string[] sample = ["sample", "--model", "tiny-random", "--num", "3", "--steps", "1", "--device", "cpu", "--out", output];
        Assert.Equal(0, CliInvocation.Run(sample).ExitCode);
        byte[] whole = File.ReadAllBytes(Path.Combine(output, "000001.png"));
        File.WriteAllBytes(Path.Combine(output, "000001.png"), whole[..(whole.Length * 2 / 3)]);
        File.Delete(Path.Combine(output, "samples.npz"));
        string[] stale = [.. Enumerable.Range(0, 3).Select(i => Path.Combine(output, $".{i:D6}.png.{Guid.NewGuid():N}.tmp"))];
        foreach (string file in stale)
            File.WriteAllBytes(file, whole[..100]);
        string unrelated = Path.Combine(output, $".notes.txt.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(unrelated, "not ours to remove");

        CliResult resumed = CliInvocation.Run(sample);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("1 to make", resumed.Error);
        Assert.All(stale, file => Assert.False(File.Exists(file), file));
        Assert.True(File.Exists(unrelated));
        Assert.Equal(whole, File.ReadAllBytes(Path.Combine(output, "000001.png")));
        Assert.True(File.Exists(Path.Combine(output, "samples.npz")));
    }
}
