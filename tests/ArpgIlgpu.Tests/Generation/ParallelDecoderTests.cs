using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

public class ParallelDecoderTests
{
    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    private static GenerationOptions FixtureOptions(FixtureSet f, float temperature, ulong seed = 0, int[]? order = null) => new()
    {
        Steps = f.Steps,
        Cfg = f.Cfg,
        CfgSchedule = f.CfgSchedule,
        Schedule = f.SampleSchedule,
        Sampling = new SamplingSettings { Temperature = temperature, Seed = seed },
        Order = order,
    };

    /// <summary>
    /// The official generate() with the fixture's order and (effectively) argmax sampling: the final
    /// tokens must be identical (fixtures README: tokens exact).
    /// </summary>
    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames)), OpenClGpuCases(nameof(FixtureNames))]
    public void GeneratesTheOfficialTokensWithTheFixtureOrder(string backend, string fixture)
    {
        ComputeDevice device = TestDevices.Get(backend);
        using var f = new FixtureSet(fixture);
        using var model = f.LoadTransformer(device);
        var progress = new List<DecodeProgress>();

        int[][] tokens = new ParallelDecoder(model).Generate(f.Ints("gen.classes"),
            FixtureOptions(f, temperature: 0, order: f.Ints("gen.order")), progress: new SyncProgress(progress));

        Assert.Equal(f.IntRows("gen.tokens"), tokens);
        Assert.Equal(f.Steps, progress.Count);
        Assert.Equal(f.Arpg.BlockSize, progress[^1].TokensDone);
    }

    /// <summary>
    /// With temperature 1 and a seed, an image's tokens are the same on both backends, across runs,
    /// and whether it is generated alone or inside a batch. Float sums differ in the last bits between backends and
    /// batch shapes (other kernel variants and summation orders), which moves a draw only when its
    /// uniform lands within ~1e-6 of a cumulative-probability boundary: with a few hundred draws,
    /// a fixed seed that avoids such a near-tie is stable, and this test would show one.
    /// </summary>
    [Fact]
    public void SeededSamplingIsTheSameAloneInABatchAndOnEveryBackend()
    {
        using var f = new FixtureSet("tiny");
        var options = FixtureOptions(f, temperature: 1, seed: 1234);
        int[] classes = [3, 7, 1];

        using var cpuModel = f.LoadTransformer(TestDevices.Get("cpu"));
        int[][] batch = new ParallelDecoder(cpuModel).Generate(classes, options);
        int[][] alone = new ParallelDecoder(cpuModel).Generate([classes[1]], options, imageIndices: [1]);
        Assert.Equal(batch[1], alone[0]);
        Assert.Equal(batch, new ParallelDecoder(cpuModel).Generate(classes, options)); // and across runs
        Assert.NotEqual(batch[0], batch[2]);

        if (TestDevices.OpenClSkipReason is null)
        {
            using var clModel = f.LoadTransformer(TestDevices.Get("opencl"));
            Assert.Equal(batch, new ParallelDecoder(clModel).Generate(classes, options));
        }
    }

    [Fact]
    public void RejectsBadSettingsNamingTheParameter()
    {
        using var f = new FixtureSet("tiny");
        using var model = ArpgTransformer.CreateRandom(TestDevices.Get("cpu"), f.Arpg, seed: 1);
        var decoder = new ParallelDecoder(model);
        void Expect(string parameter, IReadOnlyList<int> classes, GenerationOptions o) =>
            Assert.Equal(parameter, Assert.Throws<InvalidParameterException>(() => decoder.Generate(classes, o)).Parameter);

        Expect("classes", [10], new GenerationOptions { Steps = 8 });
        Expect("classes", [-1], new GenerationOptions { Steps = 8 });
        Expect(nameof(GenerationOptions.Steps), [1], new GenerationOptions { Steps = 0 });
        Expect(nameof(GenerationOptions.Steps), [1], new GenerationOptions { Steps = 65 });
        Expect(nameof(SamplingSettings.Temperature), [1], new GenerationOptions { Steps = 8, Sampling = new() { Temperature = -1 } });
        Expect(nameof(SamplingSettings.TopK), [1], new GenerationOptions { Steps = 8, Sampling = new() { TopK = -1 } });
        Expect(nameof(SamplingSettings.TopP), [1], new GenerationOptions { Steps = 8, Sampling = new() { TopP = 0 } });
        Expect(nameof(SamplingSettings.TopP), [1], new GenerationOptions { Steps = 8, Sampling = new() { TopP = 1.5f } });
        Expect(nameof(GenerationOptions.Order), [1], new GenerationOptions { Steps = 8, Order = [.. Enumerable.Range(0, 63), 0] });
        Expect(nameof(GenerationOptions.Cfg), [1], new GenerationOptions { Steps = 8, Cfg = float.NaN });
    }

    /// <summary>Progress that records synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<DecodeProgress> sink) : IProgress<DecodeProgress>
    {
        public void Report(DecodeProgress value) => sink.Add(value);
    }
}
