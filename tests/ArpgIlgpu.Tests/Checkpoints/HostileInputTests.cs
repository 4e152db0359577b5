using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// Malformed and malicious checkpoints through the command line: every one ends with exit code 2 and
/// one line on stderr naming the file, creates no file (neither the output nor a temporary), and runs
/// nothing (the pickles' payloads would create a marker file).
/// </summary>
public class HostileInputTests
{
    private static readonly float[] Six = [1f, 2f, 3f, 4f, 5f, 6f];

    public static IEnumerable<object[]> Cases() => new[]
    {
        "reduce-os-system.pt", "reduce-builtins-eval.pt", "truncated.pt", "short-storage.pt", "shape-vs-storage.pt",
        "view-past-storage.pt",
        "header-2^60.safetensors", "offsets-past-end.safetensors", "overlapping.safetensors", "invalid-json.safetensors",
    }.Select(n => new object[] { n });

    [Theory, MemberData(nameof(Cases))]
    public void InspectAndConvertRefuseWithOneLineAndNoFiles(string caseName)
    {
        string dir = Directory.CreateTempSubdirectory("arpg-hostile-").FullName;
        try
        {
            string marker = Path.Combine(dir, "pwned");
            string input = Path.Combine(dir, caseName);
            File.WriteAllBytes(input, Build(caseName, marker));
            string output = Path.Combine(dir, "out.safetensors");

            foreach (string[] args in new[] { new[] { "inspect", input }, new[] { "convert", input, output } })
            {
                CliResult result = CliInvocation.Run(args);
                Assert.Equal(2, result.ExitCode); // the CLI contract: bad input
                string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Single(lines);
                Assert.StartsWith($"error: {input}: ", lines[0]);
                Assert.Equal([input], Directory.GetFileSystemEntries(dir)); // no output, no temporary, no marker
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("reduce-os-system.pt", "refuses to call os.system")]
    [InlineData("reduce-builtins-eval.pt", "refuses to call builtins.eval")]
    [InlineData("truncated.pt", "zip")]
    [InlineData("short-storage.pt", "should hold 6 float32 elements (24 bytes) but has 16 bytes")]
    [InlineData("shape-vs-storage.pt", "tensor of shape [10, 10] has more elements than its storage 'w' (6)")]
    [InlineData("view-past-storage.pt", "tensor of shape [6] at offset 3 needs 9 elements but storage 'w' holds 6")]
    [InlineData("header-2^60.safetensors", "header claims 1152921504606846976 bytes")]
    [InlineData("offsets-past-end.safetensors", "run past the end of the data")]
    [InlineData("overlapping.safetensors", "overlap")]
    [InlineData("invalid-json.safetensors", "not valid JSON")]
    public void MessageSaysWhatIsWrong(string caseName, string expected)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(Build(caseName, "/nonexistent/marker"), caseName));
        Assert.Contains(expected, e.Message);
        Assert.Equal(caseName, e.File);
    }

    [Fact]
    public void DeeplyNestedPickleIsRefusedQuicklyAndCheaply()
    {
        // a million MARKs, then a million one-element tuples around each other: a recursion bomb for a recursive reader
        var bomb = new PickleBuilder().Proto(2);
        bomb.Raw(Enumerable.Repeat((byte)'(', 1_000_000).ToArray()).None();
        bomb.Raw(Enumerable.Repeat((byte)0x85, 1_000_000).ToArray()).Stop();
        AssertRefusedWithin(new ZipBuilder().Add("archive/data.pkl", bomb.ToArray()).ToArray(), "marks");

        var tuples = new PickleBuilder().Proto(2).None();
        tuples.Raw(Enumerable.Repeat((byte)0x85, 1_000_000).ToArray()).Stop(); // ((((None,),),),...): fine, but no state dict
        AssertRefusedWithin(new ZipBuilder().Add("archive/data.pkl", tuples.ToArray()).ToArray(), "no state dict");
    }

    [Fact]
    public void RepeatedCallsOnAMemoizedListAreRefused()
    {
        // a list of 20 000 pairs, memoized, then OrderedDict(list) called 100 000 times: quadratic work if not charged
        var p = new PickleBuilder().Proto(2).EmptyList();
        for (int i = 0; i < 20_000; i++)
            p.None().None().Tuple2().Append();
        p.Put(0).Raw([(byte)'0']);
        for (int i = 0; i < 100_000; i++)
            p.Global("collections", "OrderedDict").Get(0).Tuple1().Reduce().Raw([(byte)'0']);
        p.EmptyDict().Stop();
        AssertRefusedWithin(new ZipBuilder().Add("archive/data.pkl", p.ToArray()).ToArray(), "memo bomb");
    }

    private static void AssertRefusedWithin(byte[] file, string expected)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(file, "bomb.pt"));
        Assert.Contains(expected, e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(allocated < 64L * file.Length + (16 << 20), $"allocated {allocated} bytes for a {file.Length}-byte file");
    }

    /// <summary>The bytes of each hostile case; pickle payloads would create <paramref name="marker"/>.</summary>
    private static byte[] Build(string caseName, string marker) => caseName switch
    {
        "reduce-os-system.pt" => WithTopLevelCall("os", "system", $"touch {marker}"),
        "reduce-builtins-eval.pt" => WithTopLevelCall("builtins", "eval", $"__import__('os').system('touch {marker}')"),
        "truncated.pt" => File.ReadAllBytes(Fixtures.PathOf("tiny-fp16", "arpg.pt"))[..300_000],
        "short-storage.pt" => new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Six[..4], 4) with { ClaimedElements = 6 }],
        }.ToArray(),
        "shape-vs-storage.pt" => new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Six, 6) with { Shape = [10, 10], Strides = [10, 1] }],
        }.ToArray(),
        "view-past-storage.pt" => new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Six, 6) with { Offset = 3 }],
        }.ToArray(),
        "header-2^60.safetensors" => SafeTensors(1L << 60, "{}", 0),
        "offsets-past-end.safetensors" => SafeTensors(null, """{"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}""", 8),
        "overlapping.safetensors" => SafeTensors(null,
            """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24),
        "invalid-json.safetensors" => SafeTensors(null, """{"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]""", 24),
        _ => throw new ArgumentException(caseName),
    };

    // A valid checkpoint whose top-level dict also holds module.name(argument), as a __reduce__ payload does.
    private static byte[] WithTopLevelCall(string module, string name, string argument) => new TorchCheckpointBuilder
    {
        Tensors = [BuiltTensor.Float32("w", Six, 6)],
        MoreTopLevelItems = p => p.String("payload").Global(module, name).String(argument).Tuple1().Reduce().SetItem(),
    }.ToArray();

    // A safetensors file: the header length (as stated, or the real one), the header, then zero bytes of data.
    private static byte[] SafeTensors(long? statedLength, string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(file, statedLength ?? json.Length);
        json.CopyTo(file, 8);
        return file;
    }
}
