using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// The input gate (<see cref="InputFile"/>): every reader of a user's file refuses special files
/// in one line naming the file, bounds what it reads, reads pipes, and accepts a UTF-8 BOM in JSON.
/// </summary>
public sealed class InputFileTests
{
    /// <summary>Every reader of a user's file, by name, reading the path given.</summary>
    private static readonly Dictionary<string, Action<string>> Readers = new()
    {
        ["tokens"] = path => TokenFile.Read(path),
        ["config"] = path => ModelConfigFile.Read(path),
        ["image"] = path => ImageLoader.Read(path, 16, ImageFit.Reject),
        ["checkpoint"] = path => StateDict.Open(path).Dispose(),
        ["bytes"] = path => InputFile.ReadAllBytes(path, 1 << 20),
    };

    public static TheoryData<string, string> SpecialFileCases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string reader in Readers.Keys)
            foreach (string kind in SpecialFiles.RefusedKinds)
                cases.Add(reader, kind);
        return cases;
    }

    [LinuxTheory("device nodes, FIFOs and sockets (statx)"), MemberData(nameof(SpecialFileCases))]
    public async Task EveryReaderRefusesSpecialFilesInOneLine(string reader, string kind)
    {
        using var dir = new TempDirectory();
        string path = dir.File("input");
        Task writer = SpecialFiles.Make(kind, path);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception e = Assert.ThrowsAny<Exception>(() => Readers[reader](path));
        await writer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(e is InvalidInputException or CheckpointFormatException, $"{e.GetType().Name}: {e.Message}");
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        // an endless pipe is read only up to the reader's cap (the largest is the checkpoint's, from memory)
        if (reader != "checkpoint")
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1L << 30, "the refusal read past 1 GiB");
    }

    [LinuxFact("device nodes, FIFOs and sockets (statx)")]
    public void KindsAreToldApart()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("file"), "x");
        Assert.Equal(FileKind.Regular, FileKinds.Of(dir.File("file")));
        Assert.Equal(FileKind.Directory, FileKinds.Of(dir.Path));
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of("/dev/zero"));
        Assert.Equal(FileKind.Missing, FileKinds.Of(dir.File("none")));
        SpecialFiles.Pipe(dir.File("fifo"), []).ContinueWith(_ => { });
        Assert.Equal(FileKind.Pipe, FileKinds.Of(dir.File("fifo")));
        using var open = new FileStream(dir.File("fifo"), FileMode.Open, FileAccess.Read); // lets the writer finish
    }

    /// <summary>Regular files and pipes of sizes around the cap: read whole up to it, refused past it.</summary>
    [LinuxFact("device nodes, FIFOs and sockets (statx)")]
    public async Task ReadsStopAtTheCap()
    {
        var random = new Random(20);
        using var dir = new TempDirectory();
        for (int trial = 0; trial < 40; trial++)
        {
            int cap = random.Next(1, 300_000);
            int length = Math.Max(0, cap + random.Next(-3, 4) * (trial % 2 == 0 ? 1 : random.Next(1, 70_000)));
            byte[] bytes = new byte[length];
            random.NextBytes(bytes);
            string path = dir.File($"input{trial}");
            bool pipe = trial % 3 == 0;
            Task writer = pipe ? SpecialFiles.Pipe(path, bytes) : File.WriteAllBytesAsync(path, bytes);
            if (!pipe)
                await writer;
            if (length <= cap)
                Assert.Equal(bytes, InputFile.ReadAllBytes(path, cap));
            else
                Assert.Contains("more than", Assert.Throws<InvalidInputException>(() => InputFile.ReadAllBytes(path, cap)).Message);
            await writer.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A checkpoint read from a pipe (<c>inspect &lt;(cat x.pt)</c>) has the same tensors as the file.</summary>
    [LinuxTheory("device nodes, FIFOs and sockets (statx)")]
    [InlineData("arpg.pt")]
    [InlineData("arpg.safetensors")]
    public async Task CheckpointsAreReadFromPipes(string suffix)
    {
        string file = Fixtures.PathOf("tiny", suffix);
        using var dir = new TempDirectory();
        Task writer = SpecialFiles.Pipe(dir.File("pipe"), File.ReadAllBytes(file));
        using (StateDict fromPipe = StateDict.Open(dir.File("pipe")))
        using (StateDict fromFile = StateDict.Open(file))
            Assert.Equal(fromFile.Names, fromPipe.Names);
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>JSON inputs with a UTF-8 byte-order mark (Notepad's) read as without it.</summary>
    [Fact]
    public void JsonInputsAcceptAByteOrderMark()
    {
        using var dir = new TempDirectory();
        byte[] bom = [0xEF, 0xBB, 0xBF];
        File.WriteAllBytes(dir.File("tokens.json"), [.. bom, .. "{\"classes\": [3], \"tokens\": [[1, 2, 3, 4]]}"u8]);
        TokenFile tokens = TokenFile.Read(dir.File("tokens.json"));
        Assert.Equal([3], tokens.Classes!);
        Assert.Equal([1, 2, 3, 4], tokens.Tokens[0]);

        File.WriteAllBytes(dir.File("config.json"), [.. bom, .. File.ReadAllBytes(Fixtures.PathOf("tiny", "json"))]);
        Assert.NotNull(ModelConfigFile.Read(dir.File("config.json")).Arpg);
    }
}
