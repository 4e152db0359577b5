using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// A request too large for the device fails before anything is written, with a message that says
/// how much memory was needed and which options lower it; exit code 5 (a device failure, not a
/// malformed argument: the same batch may fit on another device).
/// </summary>
public class OutOfMemoryCliTests
{
    [HostMemoryBelowFact(40)]
    public void AnAbsurdBatchSaysHowMuchMemoryItNeededAndWritesNothing()
    {
        // tiny-random's caches take 790 KB per image: 60 000 images want 47 GB at once
        using var dir = new TempDirectory();

        CliResult result = CliInvocation.Run("sample", "--model", "tiny-random", "--num", "60000", "--batch", "60000",
            "--device", "cpu", "--out", dir.File("out"));

        Assert.Equal(5, result.ExitCode);
        string error = result.Error.Split('\n').Single(l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("out of device memory", error);
        Assert.Matches(@"[0-9.]+ GiB more were needed \([0-9.]+ GiB of the host's [0-9.]+ GiB in use\)", error);
        Assert.Contains("try a smaller --batch or --precision fp16", error);
        Assert.Empty(dir.Files());
    }

    [Fact]
    public void ABatchBeyondTheDecodingStatesIndexRangeIsRefusedNamingBatch()
    {
        // 2 x 100 000 rows x 257 positions x 64 floats per cache: more elements than 32-bit indices reach
        using var dir = new TempDirectory();
        string classes = string.Join(",", Enumerable.Repeat("1", 100_000));

        CliResult result = CliInvocation.Run("generate", "--model", "tiny-random", "--classes", classes,
            "--batch", "100000", "--device", "cpu", "--out", dir.File("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: --batch: 200000 sequences (two per image with guidance) are too many", result.Error);
        Assert.Empty(dir.Files());
    }
}

/// <summary>
/// A fact that needs a host with less memory than a test's deliberately oversized request (the
/// request must exceed the host's memory to take the out-of-memory path; where it fits, the test
/// would allocate it for real).
/// </summary>
public sealed class HostMemoryBelowFactAttribute : FactAttribute
{
    /// <summary>Skips the test on hosts with <paramref name="gibibytes"/> or more.</summary>
    public HostMemoryBelowFactAttribute(int gibibytes)
    {
        long host = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (host >= (long)gibibytes << 30)
            Skip = $"needs a host with under {gibibytes} GiB of memory (this one has {host >> 30} GiB): " +
                   "the test's oversized request must not fit";
    }
}
