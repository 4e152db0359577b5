using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Kernels;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ILGPU.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Models;

/// <summary>
/// The transformer against the official PyTorch code, step by step: the fixtures record, for a
/// generation with a fixed order, every step's pass-1 inputs and raw logits and the layer outputs
/// of the first two steps; and the teacher-forced (training) forward's logits and loss.
/// Tolerance (fixtures README): |a - b| &lt;= 1e-3 + 1e-3 |b|.
/// </summary>
public class ArpgTransformerFixtureTests
{
    private const float Tol = 1e-3f;

    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    /// <summary>
    /// The float32 fixture, for the NVIDIA-like simulator: a group's 256 threads run there as OS
    /// threads, so a fixture generation takes it minutes on 2 cores (the end-to-end token test took
    /// 2 min 42 s); every GPU kernel meets all three simulators in its kernel tests, and the whole
    /// GPU profile meets every fixture test on opencl+gpu.
    /// </summary>
    public static IEnumerable<object[]> Tiny() => [["tiny"]];

    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames)), OpenClGpuCases(nameof(FixtureNames)), NvidiaSimulatorCases(nameof(Tiny))]
    public void EveryStepMatchesTheOfficialLogitsAndLayerOutputs(string backend, string fixture)
    {
        ComputeDevice device = TestDevices.Get(backend);
        using var f = new FixtureSet(fixture);
        using var model = f.LoadTransformer(device);
        var traced = new Dictionary<string, float[]>();
        foreach ((int step, float[] logits) in OfficialSteps(model, f, traced))
        {
            TestData.AssertClose(f.Floats($"gen.step{step}.logits_raw"), logits, Tol, Tol, $"step {step} logits");
            if (step < 2)
                for (int i = 0; i < f.Arpg.Layers / 2; i++)
                {
                    TestData.AssertClose(f.Floats($"gen.step{step}.self{i}"), traced[$"self{i}"], Tol, Tol, $"step {step} self{i}");
                    TestData.AssertClose(f.Floats($"gen.step{step}.cross{i}"), traced[$"cross{i}"], Tol, Tol, $"step {step} cross{i}");
                }
        }
    }

    /// <summary>
    /// Runs the generation path step by step on the official inputs (the ids the official code fed
    /// at each step, the fixture's order), yielding each step's raw logits [2B, m, V]; layer
    /// outputs of steps 0 and 1 go to <paramref name="traced"/>.
    /// </summary>
    public static IEnumerable<(int Step, float[] Logits)> OfficialSteps(ArpgTransformer model, FixtureSet f,
        Dictionary<string, float[]> traced)
    {
        int[] order = f.Ints("gen.order");
        int images = f.Ints("gen.classes").Length, length = f.Arpg.BlockSize;
        int[] counts = DecodingSchedule.TokensPerStep(length, f.Steps, f.SampleSchedule);
        using DecodeState state = model.CreateState(2 * images, counts.Max(), counts.Max());
        int done = 0;
        int[] keySlots = [0]; // step 0 feeds the class tokens, RoPE slot 0
        for (int step = 0; step < counts.Length; step++)
        {
            model.Trace = step < 2 ? (name, x) => traced[name] = x : null;
            // pass 1: the ids the official code fed at this step (class tokens, then the previous step's samples)
            state.SetInputs(f.Ints($"gen.step{step}.input_ids"), keySlots);
            model.Append(state, AttentionMask.None);
            // pass 2: queries for the positions this step predicts
            int[] querySlots = order.Skip(done).Take(counts[step]).Select(p => 1 + p).ToArray();
            state.SetQueries(counts[step], querySlots);
            var logits = new float[2 * images * counts[step] * f.Arpg.VocabSize];
            model.Predict(state, AttentionMask.None).CopyToCPU(logits);
            yield return (step, logits);
            keySlots = querySlots;
            done += counts[step];
        }
        model.Trace = null;
    }

    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames)), OpenClGpuCases(nameof(FixtureNames))]
    public void TeacherForcedScoringMatchesTheTrainingForward(string backend, string fixture)
    {
        ComputeDevice device = TestDevices.Get(backend);
        using var f = new FixtureSet(fixture);
        using var model = f.LoadTransformer(device);

        ScoreResult result = TeacherForcedScorer.Score(model, f.IntRows("score.tokens"), f.Ints("score.classes"),
            f.IntRows("score.orders"));

        TestData.AssertClose(f.Floats("score.logits"), result.Logits, Tol, Tol, "score.logits");
        float expectedLoss = f.Floats("score.loss")[0];
        Assert.InRange(result.CrossEntropy.Average(), expectedLoss - Tol * (1 + expectedLoss), expectedLoss + Tol * (1 + expectedLoss));
    }
}
