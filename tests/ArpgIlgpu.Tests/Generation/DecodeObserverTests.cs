using ArpgIlgpu.Generation;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>
/// <see cref="ParallelDecoder.Observer"/> and <see cref="ImagePipeline.GenerateSteps"/>: what a
/// step reports is what the decoder did (the order, the tokens) and what the sampler computed
/// (the chosen tokens' probabilities), and observing changes no token.
/// </summary>
public class DecodeObserverTests
{
    private static GenerationOptions FixtureOptions(FixtureSet f, int[]? order = null, float temperature = 0f) => new()
    {
        Steps = f.Steps,
        Cfg = f.Cfg,
        CfgSchedule = f.CfgSchedule,
        Schedule = f.SampleSchedule,
        Sampling = new SamplingSettings { Temperature = temperature, Seed = 7 },
        Order = order,
    };

    /// <summary>
    /// On the fixture (the official order, argmax): the steps' positions are the order, their
    /// tokens the official ones, and each probability is the softmax of the guided logits,
    /// recomputed on the host from the official logits of that step, at the chosen token.
    /// </summary>
    [Theory, Cpu, OpenCl, OpenClGpu]
    public void StepsReportTheOrderTheTokensAndTheSamplersProbabilities(string backend)
    {
        using var f = new FixtureSet("tiny");
        using ArpgTransformer model = f.LoadTransformer(TestDevices.Get(backend));
        int[] classes = f.Ints("gen.classes"), order = f.Ints("gen.order");
        int[][] official = f.IntRows("gen.tokens");
        int vocab = f.Arpg.VocabSize, images = classes.Length;
        var steps = new List<DecodedStep>();
        var decoder = new ParallelDecoder(model) { Observer = new StepObserver(steps.Add, Probabilities: true) };

        int[][] tokens = decoder.Generate(classes, FixtureOptions(f, order));

        Assert.Equal(official, tokens);
        Assert.Equal(f.Steps, steps.Count);
        Assert.Equal(order, steps.SelectMany(s => s.Positions));
        int done = 0;
        foreach (DecodedStep step in steps)
        {
            int m = step.Positions.Length;
            done += m;
            Assert.Equal(done, step.TokensDone);
            Assert.Equal(DecodingSchedule.GuidanceScale(f.CfgSchedule, f.Cfg, done, order.Length), step.GuidanceScale);
            float[] raw = f.Floats($"gen.step{step.Step}.logits_raw"); // [2B, m, V]
            for (int b = 0; b < images; b++)
                for (int q = 0; q < m; q++)
                {
                    Assert.Equal(official[b][step.Positions[q]], step.Tokens[b][q]);
                    var guided = new float[vocab];
                    for (int v = 0; v < vocab; v++)
                        guided[v] = (float)SamplingReference.Guide(raw[(b * m + q) * vocab + v],
                            raw[((images + b) * m + q) * vocab + v], step.GuidanceScale, 1f);
                    double expected = SamplingReference.Softmax(guided, Enumerable.Repeat(true, vocab).ToArray())[step.Tokens[b][q]];
                    Assert.InRange(step.Probabilities![b][q], expected - 1e-4, expected + 1e-4);
                }
        }
    }

    /// <summary>
    /// With sampling and the filters on, observing (with probabilities) leaves every token as it
    /// is, the steps cover the grid, and every probability is one a draw can have picked: above
    /// zero (a filtered token has none) and at most 1. That they are the draw's own is
    /// <see cref="SampledProbabilityTests"/>.
    /// </summary>
    [Theory, Cpu, OpenCl, OpenClGpu]
    public void ObservingChangesNoToken(string backend)
    {
        using var f = new FixtureSet("tiny");
        using ArpgTransformer model = f.LoadTransformer(TestDevices.Get(backend));
        GenerationOptions options = FixtureOptions(f, temperature: 1f) with
        {
            Sampling = new SamplingSettings { Temperature = 0.8f, TopK = 6, TopP = 0.9f, Seed = 3 },
        };
        int[] classes = [3, 7, 1];
        int[][] plain = new ParallelDecoder(model).Generate(classes, options);
        var steps = new List<DecodedStep>();
        int[][] observed = new ParallelDecoder(model) { Observer = new StepObserver(steps.Add, Probabilities: true) }
            .Generate(classes, options);

        Assert.Equal(plain, observed);
        Assert.Equal(Enumerable.Range(0, f.Arpg.BlockSize), steps.SelectMany(s => s.Positions).Order());
        Assert.All(steps.SelectMany(s => s.Probabilities!).SelectMany(p => p), p => Assert.InRange(p, 1e-6f, 1f + 1e-6f));
    }

    /// <summary>Completing a canvas: the steps fill exactly the unknown positions, and the known ones never appear.</summary>
    [Fact]
    public void CompletionStepsFillExactlyTheUnknownPositions()
    {
        using var f = new FixtureSet("tiny");
        using ArpgTransformer model = f.LoadTransformer(TestDevices.Get("cpu"));
        int length = f.Arpg.BlockSize;
        bool[] known = Enumerable.Range(0, length).Select(p => p % 3 == 0).ToArray();
        int[] canvas = Enumerable.Range(0, length).Select(p => p % f.Arpg.VocabSize).ToArray();
        var steps = new List<DecodedStep>();
        int[][] done = new ParallelDecoder(model) { Observer = new StepObserver(steps.Add) }
            .Complete([4], [canvas], known, FixtureOptions(f));

        Assert.Equal(Enumerable.Range(0, length).Where(p => !known[p]), steps.SelectMany(s => s.Positions).Order());
        Assert.All(steps, s => Assert.Null(s.Probabilities));
        foreach (DecodedStep s in steps)
            for (int i = 0; i < s.Positions.Length; i++)
                Assert.Equal(done[0][s.Positions[i]], s.Tokens[0][i]);
    }

    /// <summary>Each token's teacher-forced loss, in grid order; their mean is the image's score.</summary>
    [Fact]
    public void TokenLossesAverageToTheScore()
    {
        using var f = new FixtureSet("tiny");
        using ArpgTransformer model = f.LoadTransformer(TestDevices.Get("cpu"));
        int[][] tokens = f.IntRows("score.tokens"), orders = f.IntRows("score.orders");
        ScoreResult result = TeacherForcedScorer.Score(model, tokens, f.Ints("score.classes"), orders);
        int vocab = f.Arpg.VocabSize, length = f.Arpg.BlockSize;
        for (int b = 0; b < tokens.Length; b++)
        {
            Assert.Equal(result.CrossEntropy[b], result.TokenLosses[b].Average(), 1e-9);
            // row t of the logits predicts position orders[b][t]
            int t = 5, position = orders[b][t];
            Assert.Equal(TeacherForcedScorer.CrossEntropy(result.Logits.AsSpan((b * length + t) * vocab, vocab), tokens[b][position]),
                result.TokenLosses[b][position]);
        }
    }

    private static VqConfig SmallVq(FixtureSet f) => new() { CodebookSize = f.Arpg.VocabSize, Ch = 32, ZChannels = 64 };

    /// <summary>GenerateSteps: the positions partition the grid, each canvas adds its step's tokens, the last equals Generate's.</summary>
    [Fact]
    public async Task GenerateStepsPartitionsTheGridAndEndsWithGeneratesTokens()
    {
        using var f = new FixtureSet("tiny");
        ComputeDevice device = TestDevices.Get("cpu");
        using var pipeline = ImagePipeline.CreateRandom(f.Arpg, SmallVq(f), seed: 2, new PipelineOptions { Device = device });
        GenerationOptions options = FixtureOptions(f, temperature: 1f);
        int[] classes = [1, 5];
        int[][] tokens = pipeline.GenerateTokens(classes, options);

        var steps = new List<GenerationStep>();
        await foreach (GenerationStep step in pipeline.GenerateSteps(classes, options))
            steps.Add(step);

        Assert.Equal(Enumerable.Range(0, f.Steps), steps.Select(s => s.Step));
        Assert.Equal(Enumerable.Range(0, f.Arpg.BlockSize), steps.SelectMany(s => s.Positions).Order());
        var filled = new HashSet<int>();
        foreach (GenerationStep step in steps)
        {
            filled.UnionWith(step.Positions);
            for (int b = 0; b < classes.Length; b++)
                for (int p = 0; p < f.Arpg.BlockSize; p++)
                    Assert.Equal(filled.Contains(p) ? tokens[b][p] : -1, step.Canvas[b][p]);
        }
        Assert.Equal(tokens, steps[^1].Canvas);
    }

    /// <summary>Leaving the loop early stops the decoder; a cancelled token surfaces as a cancellation, before any step.</summary>
    [Fact]
    public async Task GenerateStepsStopsWhenLeftOrCancelled()
    {
        using var f = new FixtureSet("tiny");
        using var pipeline = ImagePipeline.CreateRandom(f.Arpg, SmallVq(f), seed: 2,
            new PipelineOptions { Device = TestDevices.Get("cpu") });
        await foreach (GenerationStep step in pipeline.GenerateSteps([1], FixtureOptions(f)))
            if (step.Step == 1)
                break;
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var seen = new List<GenerationStep>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (GenerationStep step in pipeline.GenerateSteps([1], FixtureOptions(f), cancel.Token))
                seen.Add(step);
        });
        Assert.Empty(seen);
    }
}
