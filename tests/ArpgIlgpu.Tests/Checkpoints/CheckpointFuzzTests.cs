using System.Diagnostics;
using ArpgIlgpu.Checkpoints;
using Xunit;
using Xunit.Abstractions;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// Mutation fuzzing of both readers, starting from the fixture checkpoints (see
/// <see cref="CheckpointMutator"/> for what is mutated). Every mutated input must either load
/// completely (open, then read every tensor) or be refused with a <see cref="CheckpointFormatException"/>:
/// any other exception, a case slower than <see cref="CaseTimeLimit"/>, or one allocating more than
/// <see cref="AllocationLimit"/> fails the test, naming the seed and the case so it can be replayed
/// (ARPG_FUZZ_SEED and ARPG_FUZZ_CASES override the seed and the number of cases).
/// </summary>
public class CheckpointFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20261128;
    private const int DefaultCases = 20_000;

    /// <summary>No case may take longer (the slowest real case takes milliseconds).</summary>
    private static readonly TimeSpan CaseTimeLimit = TimeSpan.FromSeconds(2);

    /// <summary>A case still running after this long is reported as a hang.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The most a case may allocate: reading every tensor of a file as float32 takes up to 2x the
    /// file's size (float16 widens); decoding the pickle or JSON header builds objects, at most
    /// ~100 bytes for each input byte (a 1-byte EMPTY_LIST opcode is a .NET List); plus a constant.
    /// </summary>
    private static long AllocationLimit(Mutation mutation) =>
        4L * mutation.Bytes.Length + 128L * mutation.StructureLength + (8 << 20);

    [Fact]
    public void TorchCheckpointReaderLoadsOrRefusesEveryMutation() =>
        Fuzz("torch.save", [("tiny-fp16", "arpg.pt"), ("tiny-fp16", "arpg.pt"), ("tiny-fp16", "arpg.pt"), ("tiny", "arpg.pt")]);

    [Fact]
    public void SafeTensorsReaderLoadsOrRefusesEveryMutation() =>
        Fuzz("safetensors", [("tiny-fp16", "arpg.safetensors"), ("tiny-fp16", "arpg.safetensors"), ("tiny-fp16", "arpg.safetensors"), ("tiny", "arpg.safetensors")]);

    // Case i mutates sources[i % sources.Length]: listing a fixture three times gives it three quarters of the cases.
    private void Fuzz(string reader, (string Fixture, string Suffix)[] sources)
    {
        int seed = EnvironmentInt("ARPG_FUZZ_SEED") ?? DefaultSeed;
        int cases = EnvironmentInt("ARPG_FUZZ_CASES") ?? DefaultCases;
        var mutators = sources.Distinct().Select((s, k) => (Source: s, Seed: seed + k)).ToDictionary(m => m.Source, m =>
            new CheckpointMutator(File.ReadAllBytes(Fixtures.PathOf(m.Source.Fixture, m.Source.Suffix)), m.Seed));
        var tally = new SortedDictionary<string, KindTally>(StringComparer.Ordinal);
        string? failure = null;
        TimeSpan mutationTime = TimeSpan.Zero;
        long caseStarted = 0;
        int current = -1;

        var worker = new Thread(() =>
        {
            for (int i = 0; i < cases && failure is null; i++)
            {
                var source = sources[i % sources.Length];
                long mutating = Stopwatch.GetTimestamp();
                Mutation mutation = mutators[source].Next();
                mutationTime += Stopwatch.GetElapsedTime(mutating);
                Volatile.Write(ref caseStarted, Stopwatch.GetTimestamp());
                Volatile.Write(ref current, i);
                string where = $"case {i} ({mutation.Kind} of {source.Fixture}.{source.Suffix}, seed {seed})";
                try
                {
                    var (loaded, elapsed, allocated) = LoadOrRefuse(mutation.Bytes, $"{source.Fixture}#{i}");
                    if (!tally.TryGetValue(mutation.Kind, out KindTally? kind))
                        tally[mutation.Kind] = kind = new KindTally();
                    kind.Add(loaded, elapsed, (double)allocated / AllocationLimit(mutation));
                    if (elapsed > CaseTimeLimit)
                        failure = $"{where} took {elapsed.TotalSeconds:F2} s";
                    else if (allocated > AllocationLimit(mutation))
                        failure = $"{where} allocated {allocated:N0} bytes for a {mutation.Bytes.Length:N0}-byte file " +
                                  $"whose pickle or header is {mutation.StructureLength:N0} bytes";
                }
                catch (Exception e)
                {
                    failure = $"{where} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}";
                }
                if (failure is not null)
                    failure += $"; input saved as {Save(mutation.Bytes, seed, i)}";
            }
        }) { IsBackground = true, Name = "checkpoint fuzz" };

        var clock = Stopwatch.StartNew();
        worker.Start();
        while (!worker.Join(50))
            if (Stopwatch.GetElapsedTime(Volatile.Read(ref caseStarted)) > HangLimit && Volatile.Read(ref caseStarted) != 0)
                Assert.Fail($"{reader}: case {Volatile.Read(ref current)} (seed {seed}) still running after {HangLimit.TotalSeconds} s: a hang");

        int done = tally.Values.Sum(t => t.Loaded + t.Refused);
        output.WriteLine($"{reader} reader: seed {seed}, {done} mutated inputs in {clock.Elapsed.TotalSeconds:F1} s, " +
                         $"{mutationTime.TotalSeconds:F1} s of it making them " +
                         $"(limits per case: {CaseTimeLimit.TotalSeconds} s; allocation 4 x file + 128 x pickle or header + 8 MB)");
        output.WriteLine($"  {"mutation",-24} {"loaded",7} {"refused",7} {"slowest",9} {"most allocated",15}");
        foreach (var (kind, t) in tally)
            output.WriteLine($"  {kind,-24} {t.Loaded,7} {t.Refused,7} {t.SlowestMs,6:F1} ms {t.LargestAllocationShare,8:P0} of limit");
        Assert.True(failure is null, failure);
        Assert.Equal(cases, done);
        // the mutations must reach both outcomes, or the test would prove little
        Assert.True(tally.Values.Sum(t => t.Refused) > cases / 4, "too few mutations were refused: the mutator is too timid");
        Assert.True(tally.Values.Sum(t => t.Loaded) > cases / 20, "too few mutations loaded: the mutator only breaks the header");
    }

    // Outcomes, worst time and worst allocation of one kind of mutation.
    private sealed class KindTally
    {
        public int Loaded, Refused;
        public double SlowestMs, LargestAllocationShare;

        public void Add(bool loaded, TimeSpan elapsed, double allocationShare)
        {
            if (loaded)
                Loaded++;
            else
                Refused++;
            SlowestMs = Math.Max(SlowestMs, elapsed.TotalMilliseconds);
            LargestAllocationShare = Math.Max(LargestAllocationShare, allocationShare);
        }
    }

    // Opens the input and reads every tensor; true when it loaded, false when it was refused.
    private static (bool Loaded, TimeSpan Elapsed, long Allocated) LoadOrRefuse(ReadOnlyMemory<byte> bytes, string name)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long started = Stopwatch.GetTimestamp();
        bool loaded;
        try
        {
            using StateDict stateDict = StateDict.Open(bytes, name);
            foreach (string tensor in stateDict.Names)
                if (stateDict.Info(tensor).DType.IsFloatingPoint())
                    stateDict.ReadFloat32(tensor);
                else
                    stateDict.ReadInt64(tensor);
            loaded = true;
        }
        catch (CheckpointFormatException)
        {
            loaded = false;
        }
        return (loaded, Stopwatch.GetElapsedTime(started), GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
    }

    private static string Save(ReadOnlyMemory<byte> bytes, int seed, int index)
    {
        string path = Path.Combine(Path.GetTempPath(), $"arpg-fuzz-{seed}-{index}.bin");
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) ? value : null;
}
