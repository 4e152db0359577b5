using ArpgIlgpu.Imaging;
using ArpgIlgpu.Tests.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// Every command meets the failures a user meets: no network, a full disk, a missing file, a
/// folder it cannot write. Each is one error line on stderr (no stack trace) and the exit code of
/// its kind (CommandRunner): 2 bad input, 3 download, 4 file system.
/// </summary>
public class FailureCliTests
{
    private static string Tiny(string suffix) => Fixtures.PathOf("tiny", suffix);

    /// <summary>The tiny fixture's model options (no download).</summary>
    private static string[] TinyModel(bool transformer = true, bool tokenizer = true) =>
    [
        "--config", Tiny("json"), "--device", "cpu",
        .. transformer ? new[] { "--arpg-checkpoint", Tiny("arpg.pt") } : [],
        .. tokenizer ? new[] { "--vq-checkpoint", Tiny("vq.pt") } : [],
    ];

    /// <summary>The released model, fetched on use: with the network down, the download fails.</summary>
    private static readonly string[] Released = ["--model", "ARPG-L", "--download", "--device", "cpu"];

    private static object[] Case(params string[] args) => [args];

    /// <summary>Every command that needs released weights, with --download.</summary>
    public static IEnumerable<object[]> NetworkCases() =>
    [
        Case("download", "VQ-16"),
        Case(["generate", "--classes", "1", .. Released]),
        Case(["sample", "--num", "1", "--out", "{dir}/s", .. Released]),
        Case(["decode", "--tokens", "{dir}/tokens.json", "--out", "{dir}/d", .. Released]),
        Case(["encode", "{dir}/image.png", "--save-tokens", "{dir}/e.json", .. Released]),
        Case(["score", "--tokens", "{dir}/tokens.json", .. Released]),
        Case(["inpaint", "{dir}/image.png", "--mask", "{dir}/mask.png", "--class", "1", "--out", "{dir}/i", .. Released]),
        Case(["outpaint", "{dir}/image.png", "--right", "16", "--class", "1", "--out", "{dir}/o", .. Released]),
        Case(["expand", "{dir}/image.png", "--class", "1", "--out", "{dir}/x", .. Released]),
        Case(["bench", "--steps", "1", .. Released]),
    ];

    /// <summary>Every command that prints results on stdout.</summary>
    public static IEnumerable<object[]> StdoutCases() =>
    [
        Case("--version"),
        Case("help", "generate"),
        Case("devices"),
        Case("inspect", "{tiny}arpg.pt"),
        Case("download", "VQ-16"), // already in the cache: prints its path
        Case(["score", "--tokens", "{dir}/tokens.json", .. TinyModel(tokenizer: false)]),
        Case("bench", "--model", "tiny-random", "--random-weights", "--memory-only", "--device", "cpu"),
    ];

    /// <summary>Every command that reads a file, given one that does not exist.</summary>
    public static IEnumerable<object[]> MissingFileCases() =>
    [
        Case("inspect", "{dir}/missing.pt"),
        Case("convert", "{dir}/missing.pt", "{dir}/out.safetensors"),
        Case(["generate", "--classes", "1", "--config", Tiny("json"), "--arpg-checkpoint", "{dir}/missing.pt", "--save-tokens", "{dir}/t.json"]),
        Case(["sample", "--num", "1", "--out", "{dir}/s", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--vq-checkpoint", "{dir}/missing.pt"]),
        Case(["decode", "--tokens", "{dir}/missing.json", "--out", "{dir}/d", .. TinyModel(transformer: false)]),
        Case(["encode", "{dir}/missing.png", "--save-tokens", "{dir}/e.json", .. TinyModel(transformer: false)]),
        Case(["score", "--tokens", "{dir}/missing.json", .. TinyModel(tokenizer: false)]),
        Case(["inpaint", "{dir}/image.png", "--mask", "{dir}/missing.png", "--class", "1", "--out", "{dir}/i", .. TinyModel()]),
        Case(["outpaint", "{dir}/missing.png", "--right", "16", "--class", "1", "--out", "{dir}/o", .. TinyModel()]),
        Case(["expand", "{dir}/missing.png", "--class", "1", "--out", "{dir}/x", .. TinyModel()]),
        Case("bench", "--config", "{dir}/missing.json", "--random-weights", "--device", "cpu"),
    ];

    /// <summary>Every command that writes a file, told to write it in a folder nobody can write (even root: /proc).</summary>
    public static IEnumerable<object[]> ReadOnlyCases() =>
    [
        Case("convert", "{tiny}arpg.pt", "{ro}/out.safetensors"),
        Case("download", "VQ-16", "--cache", "{ro}"),
        Case("generate", "--model", "tiny-random", "--classes", "1", "--steps", "1", "--device", "cpu", "--out", "{ro}"),
        Case(["generate", "--classes", "1", "--steps", "1", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--device", "cpu", "--save-tokens", "{ro}/t.json"]),
        Case("sample", "--model", "tiny-random", "--num", "1", "--steps", "1", "--device", "cpu", "--out", "{ro}"),
        Case(["decode", "--tokens", "{dir}/tokens.json", "--out", "{ro}", .. TinyModel(transformer: false)]),
        Case(["encode", "{dir}/image.png", "--save-tokens", "{ro}/e.json", .. TinyModel(transformer: false)]),
        Case(["inpaint", "{dir}/image.png", "--mask", "{dir}/mask.png", "--class", "1", "--steps", "1", "--out", "{ro}", .. TinyModel()]),
        Case(["outpaint", "{dir}/image.png", "--right", "16", "--class", "1", "--steps", "1", "--out", "{ro}", .. TinyModel()]),
        Case(["expand", "{dir}/image.png", "--class", "1", "--steps", "1", "--out", "{ro}", .. TinyModel()]),
    ];

    [LinuxTheory, MemberData(nameof(NetworkCases))]
    public void WithTheNetworkDownEveryDownloadFailsInOneLineWithExitCode3(string[] template)
    {
        using var dir = new TempDirectory();
        WriteInputs(dir);
        var environment = new Dictionary<string, string>
        {
            ["ARPG_HOME"] = dir.File("cache"),
            ["ARPG_MIRROR"] = $"http://127.0.0.1:{FakeWeightServer.ClosedPort()}",
        };

        CliResult result = CliProcess.Run(dir.Path, environment, null, Expand(template, dir));

        AssertOneErrorLine(result, 3, "connection refused");
    }

    /// <summary>Every --download against a server that answers 404: one line, exit 3.</summary>
    [LinuxTheory, MemberData(nameof(NetworkCases))]
    public async Task WhenTheServerAnswers404EveryDownloadFailsInOneLineWithExitCode3(string[] template)
    {
        using var dir = new TempDirectory();
        WriteInputs(dir);
        await using var server = new FakeWeightServer();
        var environment = new Dictionary<string, string> { ["ARPG_HOME"] = dir.File("cache"), ["ARPG_MIRROR"] = server.BaseUrl.AbsoluteUri };

        CliResult result = CliProcess.Run(dir.Path, environment, null, Expand(template, dir));

        AssertOneErrorLine(result, 3, "HTTP 404");
    }

    [DevFullTheory, MemberData(nameof(StdoutCases))]
    public void WithStdoutOnAFullDiskEveryCommandFailsInOneLineWithExitCode4(string[] template)
    {
        using var dir = new TempDirectory();
        WriteInputs(dir);
        Directory.CreateDirectory(dir.File("cache"));
        File.WriteAllBytes(dir.File(Path.Combine("cache", "vq_ds16_c2i.pt")), [1]);
        var environment = new Dictionary<string, string> { ["ARPG_HOME"] = dir.File("cache") };

        CliResult result = CliProcess.Run(dir.Path, environment, "/dev/full", Expand(template, dir));

        AssertOneErrorLine(result, 4, "No space left on device");
    }

    [Theory, MemberData(nameof(MissingFileCases))]
    public void AMissingFileIsOneLineNamingItWithExitCode2(string[] template)
    {
        using var dir = new TempDirectory();
        WriteInputs(dir);

        CliResult result = CliInvocation.Run(Expand(template, dir));

        AssertOneErrorLine(result, 2, "missing");
    }

    [LinuxTheory, MemberData(nameof(ReadOnlyCases))]
    public void AFolderThatCannotBeWrittenIsOneLineNamingItWithExitCode2(string[] template)
    {
        using var dir = new TempDirectory();
        WriteInputs(dir);

        CliResult result = CliInvocation.Run(Expand(template, dir));

        AssertOneErrorLine(result, 2, "/proc/arpg-read-only");
    }

    private static string[] Expand(string[] template, TempDirectory dir) => template
        .Select(a => a.Replace("{dir}", dir.Path).Replace("{ro}", "/proc/arpg-read-only").Replace("{tiny}", Path.Combine(Fixtures.Directory, "tiny.")))
        .ToArray();

    private static void AssertOneErrorLine(CliResult result, int exitCode, string named)
    {
        Assert.True(result.ExitCode == exitCode, $"exit code {result.ExitCode}, stderr:\n{result.Error}");
        string[] errors = result.Error.Split('\n').Where(l => l.Contains("error", StringComparison.Ordinal)).ToArray();
        string error = Assert.Single(errors);
        Assert.StartsWith("error: ", error);
        Assert.Contains(named, error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    private static void WriteInputs(TempDirectory dir)
    {
        File.WriteAllText(dir.File("tokens.json"), "{\"classes\": [1], \"tokens\": [[" + string.Join(",", Enumerable.Repeat(5, 64)) + "]]}");
        PngFile.Write(dir.File("image.png"), new RgbImage(128, 128, new byte[128 * 128 * 3]));
        PngFile.Write(dir.File("mask.png"), new RgbImage(128, 128, Enumerable.Repeat((byte)255, 128 * 128 * 3).ToArray()));
    }
}
