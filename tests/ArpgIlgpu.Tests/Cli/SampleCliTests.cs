using System.Diagnostics;
using System.Security.Cryptography;
using ArpgIlgpu.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// One `arpg sample --num 20 --per-class` run on the tiny fixture (10 classes, so 2 per class),
/// made once and shared by the tests that compare other runs with it.
/// </summary>
public sealed class BaseSampleRun : IDisposable
{
    private readonly TempDirectory dir = new();

    public BaseSampleRun()
    {
        Result = CliInvocation.Run(SampleCliTests.Sample(Folder, "--batch", "8"));
        Assert.True(Result.ExitCode == 0, Result.Error);
    }

    public string Folder => dir.File("base");
    public CliResult Result { get; }

    public void Dispose() => dir.Dispose();
}

/// <summary>
/// `arpg sample`: numbered PNGs and an .npz of their pixels; image i the same whichever run,
/// shard or batch makes it; resumable after deletions and after a cancelled run.
/// </summary>
public class SampleCliTests(BaseSampleRun baseRun) : IClassFixture<BaseSampleRun>
{
    private const int Count = 20;

    /// <summary>The shared settings: the tiny fixture, 4 steps (temperature 1: real sampling), 20 images, balanced.</summary>
    internal static string[] Sample(string folder, params string[] extra) =>
    [
        "sample", "--num", $"{Count}", "--per-class", "--config", Fixtures.PathOf("tiny", "json"),
        "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"), "--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"),
        "--steps", "4", "--out", folder,
        .. extra.Contains("--device") ? Array.Empty<string>() : ["--device", FastestBackend.Name],
        .. extra,
    ];

    private static string Png(int index) => $"{index:D6}.png";

    /// <summary>SHA-256 of every file in a folder, by name.</summary>
    private static Dictionary<string, string> Hashes(string folder) => Directory.GetFiles(folder)
        .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static byte[] Pixels(string file)
    {
        using var image = Image.Load<Rgb24>(file);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    [Fact]
    public void WritesNumberedPngsAndAnNpzOfTheirPixels()
    {
        string[] expected = [.. Enumerable.Range(0, Count).Select(Png), "sample.json", "samples.npz"];
        Assert.Equal(expected.Order(), Directory.GetFiles(baseRun.Folder).Select(Path.GetFileName).Order());

        NpyArray array = NpzReader.Read(Path.Combine(baseRun.Folder, "samples.npz"));

        Assert.Equal([Count, 128, 128, 3], array.Shape);
        byte[] pngs = Enumerable.Range(0, Count).SelectMany(i => Pixels(Path.Combine(baseRun.Folder, Png(i)))).ToArray();
        Assert.Equal(pngs, array.Data);
    }

    [Fact]
    public void ImageIIsWhatGenerateMakesForClassIModTenAsImageI()
    {
        // generate names image i of its request by i, as sample does: classes 0..9, 0, 1 are images 0..11
        using var dir = new TempDirectory();
        int[] classes = Enumerable.Range(0, 12).Select(i => i % 10).ToArray();
        CliResult result = CliInvocation.Run("generate", "--classes", string.Join(",", classes),
            "--config", Fixtures.PathOf("tiny", "json"), "--arpg-checkpoint", Fixtures.PathOf("tiny", "arpg.pt"),
            "--vq-checkpoint", Fixtures.PathOf("tiny", "vq.pt"), "--steps", "4", "--device", FastestBackend.Name,
            "--out", dir.Path);

        Assert.True(result.ExitCode == 0, result.Error);
        for (int i = 0; i < classes.Length; i++)
            Assert.True(Pixels(dir.File(ArpgIlgpu.Cli.OutputFolder.ImageName(i, classes[i]))).SequenceEqual(Pixels(Path.Combine(baseRun.Folder, Png(i)))),
                $"image {i} differs");
    }

    [Fact]
    public void ResumingAfterDeletingFiveRemakesExactlyThose()
    {
        using var dir = new TempDirectory();
        string folder = dir.File("resumed");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(baseRun.Folder).Where(f => !f.EndsWith(".npz", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        int[] deleted = [0, 3, 7, 12, 19];
        foreach (int i in deleted)
            File.Delete(Path.Combine(folder, Png(i)));
        Dictionary<string, DateTime> kept = Directory.GetFiles(folder)
            .ToDictionary(f => Path.GetFileName(f), File.GetLastWriteTimeUtc);

        CliResult result = CliInvocation.Run(Sample(folder, "--batch", "8"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("15 already in", result.Error);
        Assert.Contains("5 to make", result.Error);
        Assert.Equal(Hashes(baseRun.Folder), Hashes(folder)); // the five are the same pictures, and the npz too
        foreach ((string name, DateTime written) in kept)
            Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(folder, name))); // untouched
    }

    [Fact]
    public void TwoShardsMakeTheSameFilesAsOneRun()
    {
        using var dir = new TempDirectory();
        string folder = dir.File("sharded");

        CliResult first = CliInvocation.Run(Sample(folder, "--shard", "0/2", "--batch", "3"));

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal(Enumerable.Range(0, Count / 2).Select(i => Png(2 * i)).Append("sample.json"),
            Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Contains("10 of 20 images present", first.Error);

        // the second shard on two devices at once, in batches of 5 split 3 + 2
        string device = FastestBackend.Name;
        CliResult second = CliInvocation.Run(Sample(folder, "--shard", "1/2", "--batch", "5", "--device", $"{device},{device}"));

        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(Hashes(baseRun.Folder), Hashes(folder));
    }

    /// <summary>Variables of the job arrays --shard auto reads, all empty (= not set) unless given: the test's own environment may have them.</summary>
    private static Dictionary<string, string> JobArray(params (string Name, string Value)[] set)
    {
        var environment = new[] { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP",
            "JOB_COMPLETION_INDEX", "JOB_COMPLETIONS" }.ToDictionary(name => name, _ => "");
        foreach ((string name, string value) in set)
            environment[name] = value;
        return environment;
    }

    [Theory]
    [InlineData("slurm")]
    [InlineData("kubernetes")]
    public async Task TwoTasksOfAJobArrayAtOnceMakeTheSameFilesAsOneRun(string engine)
    {
        using var dir = new TempDirectory();
        string folder = dir.File("array");
        // every task runs the same command line, as sbatch --array=1-2 or an Indexed Job with completions 2 runs it
        string[] args = Sample(folder, "--shard", "auto", "--batch", "4");
        Dictionary<string, string> Variables(int i) => engine == "slurm"
            ? JobArray(("SLURM_ARRAY_TASK_ID", $"{i + 1}"), ("SLURM_ARRAY_TASK_COUNT", "2"), ("SLURM_ARRAY_TASK_MIN", "1"))
            : JobArray(("JOB_COMPLETION_INDEX", $"{i}"), ("JOB_COMPLETIONS", "2"));

        CliResult[] tasks = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() => CliProcess.Run(dir.Path, Variables(i), null, args))));

        Assert.All(tasks, t => Assert.True(t.ExitCode == 0, t.Error));
        Assert.Contains(engine == "slurm" ? "shard 1/2 (SLURM_ARRAY_TASK_ID=2 of SLURM_ARRAY_TASK_COUNT=2)" : "shard 1/2 (JOB_COMPLETION_INDEX=1 of JOB_COMPLETIONS=2)",
            tasks[1].Error);
        Assert.Equal(Hashes(baseRun.Folder), Hashes(folder));
    }

    [Fact]
    public void AutoOutsideAJobArrayIsBadInputAndWritesNothing()
    {
        using var dir = new TempDirectory();

        CliResult result = CliProcess.Run(dir.Path, JobArray(("JOB_COMPLETION_INDEX", "1")), null, Sample(dir.File("out"), "--shard", "auto"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: --shard auto: JOB_COMPLETION_INDEX=1, but of how many? pass --shard-count N or set JOB_COMPLETIONS", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ACancelledRunLeavesOnlyCompletePngsAndResumingCompletesTheSet()
    {
        using var dir = new TempDirectory();
        string folder = dir.File("cancelled");
        using var cancel = new CancellationTokenSource();
        // Ctrl-C as soon as four images exist (batches of 2: mid-run)
        var watcher = new Thread(() =>
        {
            while (!cancel.IsCancellationRequested)
            {
                if (Directory.Exists(folder) && Directory.GetFiles(folder, "*.png").Length >= 4)
                    cancel.Cancel();
                Thread.Sleep(10);
            }
        });
        watcher.Start();

        CliResult cancelled = CliInvocation.Run(cancel.Token, Sample(folder, "--batch", "2"));
        cancel.Cancel();
        watcher.Join();

        Assert.Equal(130, cancelled.ExitCode);
        Assert.Contains("cancelled", cancelled.Error);
        string[] left = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).ToArray();
        string[] pngs = left.Where(n => n.EndsWith(".png", StringComparison.Ordinal)).ToArray();
        Assert.InRange(pngs.Length, 4, Count - 1);
        Assert.Equal(left.Order(), pngs.Append("sample.json").Order()); // no temporary files, no npz
        Dictionary<string, string> baseHashes = Hashes(baseRun.Folder);
        Assert.All(pngs, n => Assert.Equal(baseHashes[n], Hashes(folder)[n])); // each one complete and right

        CliResult resumed = CliInvocation.Run(Sample(folder, "--batch", "8"));

        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains($"{pngs.Length} already in", resumed.Error);
        Assert.Equal(baseHashes, Hashes(folder));
    }

    [LinuxFact]
    public async Task CtrlCStopsTheCommandAndLeavesOnlyCompletePngs()
    {
        using var dir = new TempDirectory();
        string folder = dir.File("interrupted");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "arpg.dll"));
        foreach (string arg in Sample(folder, "--batch", "2"))
            start.ArgumentList.Add(arg);
        using Process arpg = Process.Start(start)!;
        Task<string> error = arpg.StandardError.ReadToEndAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!arpg.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)
                   && !(Directory.Exists(folder) && Directory.GetFiles(folder, "*.png").Length >= 2))
                Thread.Sleep(10);
            Process.Start("kill", $"-INT {arpg.Id}")!.WaitForExit();

            Assert.True(arpg.WaitForExit(TimeSpan.FromSeconds(60)), "still running a minute after Ctrl-C");
            string stderr = await error;
            Assert.True(arpg.ExitCode == 130, stderr);
            Assert.Contains("cancelled", stderr);
            string[] left = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).ToArray();
            string[] pngs = left.Where(n => n.EndsWith(".png", StringComparison.Ordinal)).ToArray();
            Assert.InRange(pngs.Length, 2, Count - 1);
            Assert.Equal(left.Order(), pngs.Append("sample.json").Order());
            Dictionary<string, string> baseHashes = Hashes(baseRun.Folder), hashes = Hashes(folder);
            Assert.All(pngs, n => Assert.Equal(baseHashes[n], hashes[n]));
        }
        finally
        {
            if (!arpg.HasExited)
                arpg.Kill();
        }
    }

    [Fact]
    public void AFolderOfOtherSettingsIsRefusedNamingWhatDiffers()
    {
        using var dir = new TempDirectory();
        string folder = dir.File("other");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(baseRun.Folder, "sample.json"), Path.Combine(folder, "sample.json"));

        CliResult result = CliInvocation.Run(Sample(folder, "--seed", "1"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("seed: 0 there, 1 now", result.Error);
        Assert.Equal(["sample.json"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }
}
