using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// The output gate (<see cref="AtomicFile.RequireWritable"/>): no writer replaces a folder, a
/// device node, a pipe or a socket, or writes into a missing folder; the node is still there after.
/// </summary>
public sealed class OutputFileTests
{
    private static readonly RgbImage Picture = new(2, 2, new byte[12]);

    /// <summary>Every writer of the library, writing its kind of file to the path given.</summary>
    private static readonly Dictionary<string, Action<string>> Writers = new()
    {
        ["atomic"] = path => AtomicFile.Write(path, temp => File.WriteAllText(temp, "x")),
        ["png"] = path => PngFile.Write(path, Picture),
        ["png batch"] = path => PngBatch.WriteAll([(path, Picture, new Dictionary<string, string>())]),
        ["tokens"] = path => new TokenFile(null, [[1, 2, 3, 4]]).Write(path),
        ["safetensors"] = path => SafeTensorsWriter.Write(path, Array.Empty<(TensorInfo, byte[])>()),
        ["npz"] = path =>
        {
            using var npz = new NpzImageWriter(path, 1, 2, 2);
            npz.Append(Picture);
            npz.Commit();
        },
    };

    /// <summary>What a user can name as an output that must not be replaced, and the kind that must survive.</summary>
    private static readonly (string Kind, FileKind Survives)[] Targets =
    [
        ("directory", FileKind.Directory),
        ("link to /dev/null", FileKind.CharacterDevice),
        ("link to /dev/zero", FileKind.CharacterDevice),
        ("pipe", FileKind.Pipe),
        ("missing folder", FileKind.Missing),
        ("missing folder, nested", FileKind.Missing),
    ];

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string writer in Writers.Keys)
            foreach ((string kind, _) in Targets)
                cases.Add(writer, kind);
        return cases;
    }

    [LinuxTheory("device nodes, FIFOs and sockets (statx)"), MemberData(nameof(Cases))]
    public void NoWriterReplacesASpecialFile(string writer, string kind)
    {
        using var dir = new TempDirectory();
        string path = dir.File("output");
        switch (kind)
        {
            case "directory": Directory.CreateDirectory(path); break;
            case "link to /dev/null": File.CreateSymbolicLink(path, "/dev/null"); break;
            case "link to /dev/zero": File.CreateSymbolicLink(path, "/dev/zero"); break;
            case "pipe": _ = SpecialFiles.Pipe(path, []); break;
            case "missing folder": path = dir.File("absent/output"); break;
            case "missing folder, nested": path = dir.File("a/b/c/output"); break;
        }
        var e = Assert.Throws<InvalidInputException>(() => Writers[writer](path));
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(Targets.Single(t => t.Kind == kind).Survives, FileKinds.Of(path));
        // nothing left beside it: no temporary file, no half-written output
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
        if (kind == "pipe")
            using (new FileStream(path, FileMode.Open, FileAccess.Read)) { } // lets the pipe's writer finish
    }

    [Fact]
    public void RegularFilesAreReplaced()
    {
        using var dir = new TempDirectory();
        foreach ((string name, Action<string> write) in Writers)
        {
            string path = dir.File(name);
            File.WriteAllText(path, "old");
            write(path);
            Assert.NotEqual("old", File.ReadAllText(path));
        }
        Assert.Equal(Writers.Count, dir.Files().Length);
    }

    /// <summary>Temporary names of every destination name, made and recognized; other names never mistaken for them.</summary>
    [Fact]
    public void TemporaryNamesAreRecognizedExactly()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 2000; trial++)
        {
            string name = trial % 2 == 0 ? $"{random.Next(1_000_000):D6}.png" : RandomName(random);
            string temporary = Path.GetFileName(AtomicFile.TemporaryPathFor(Path.Combine("/tmp", name)));
            Assert.True(AtomicFile.IsTemporaryName(temporary, out string destination), temporary);
            Assert.Equal(name, destination);
            // the same name damaged anywhere is not ours
            string damaged = temporary.Remove(random.Next(temporary.Length), 1);
            if (AtomicFile.IsTemporaryName(damaged, out string other))
                Assert.NotEqual(name, other);
        }
        foreach (string notOurs in new[] { ".tmp", "x.tmp", ".000001.png.tmp", ".000001.png.1234.tmp", "000001.png", ".000001.png.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.tmp" })
            Assert.False(AtomicFile.IsTemporaryName(notOurs, out _), notOurs);
    }

    private static string RandomName(Random random) =>
        "n" + new string(Enumerable.Range(0, random.Next(0, 20)).Select(_ => "abcXYZ019._-"[random.Next(12)]).ToArray());
}
