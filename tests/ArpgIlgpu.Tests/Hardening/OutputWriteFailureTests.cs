using ArpgIlgpu.Tests.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// A write of an output file that fails: a full disk is a file-system failure (IOException, exit
/// code 4), anything else a bad output path (InvalidInputException, exit code 2); either way the
/// message names the file and nothing of it is left behind.
/// </summary>
public sealed class OutputWriteFailureTests
{
    [DevFullFact]
    public void WritingToAFullDeviceIsSeenAsADiskFull()
    {
        // what the kernel answers when a disk is full (ENOSPC), as .NET reports it
        IOException e = Assert.ThrowsAny<IOException>(() =>
        {
            using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            full.Write(new byte[4096]);
        });

        Assert.True(OutputWriteFailure.IsDiskFull(e), $"HResult {e.HResult}: {e.Message}");
    }

    [DevFullFact]
    public void AFullDiskDuringAnAtomicWriteIsAFileSystemFailureNamingTheFileAndLeavesNothing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.json");

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, temp =>
        {
            File.WriteAllText(temp, "half of it");
            using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            full.Write(new byte[4096]); // the disk fills up half-way
        }));

        Assert.Contains(path, e.Message);
        Assert.Contains("disk is full", e.Message);
        Assert.Empty(dir.Files());
    }

    [Fact]
    public void AnyOtherWriteFailureIsABadOutputPathNamingTheFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.json");

        var e = Assert.Throws<InvalidInputException>(() => AtomicFile.Write(path, _ => throw new UnauthorizedAccessException("denied")));

        Assert.Contains(path, e.Message);
        Assert.Contains("denied", e.Message);
        Assert.Empty(dir.Files());
    }
}
