using ArpgIlgpu.Kernels;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ILGPU.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>
/// One compared quantity of a self-test: a phase of a step (its block outputs), the logits, the
/// tokens or a VQ decode, with the largest error and where it is.
/// </summary>
/// <param name="Name">What was compared: "step 1 pass 2", "step 1 logits", "vq decode", ...</param>
/// <param name="Count">Values compared.</param>
/// <param name="MaxAbsError">Largest |device - reference|.</param>
/// <param name="Worst">Where that error is: "cross3[517]", a flat index, or "-" when all are equal.</param>
/// <param name="Ok">True when every value is within tolerance.</param>
public sealed record SelfTestRow(string Name, long Count, double MaxAbsError, string Worst, bool Ok);

/// <summary>
/// The device self-test (<c>arpg selftest</c>): the same small generation runs on the device under
/// test and on ILGPU's CPU accelerator with the Cpu kernel profile (the reference: plain loops,
/// one thread per output), and every intermediate result is compared. Both runs take identical
/// inputs: random weights from one seed, one image's guided pair of rows (class, no class), and the
/// reference's tokens fed back into both, so a difference in one step cannot hide in the next.
/// Values are within tolerance when |device - reference| &lt;= tol + tol |reference|.
/// </summary>
public static class SelfTest
{
    /// <summary>The tolerance of block outputs and logits (absolute and relative).</summary>
    public const double LogitTolerance = 1e-3;

    /// <summary>The tolerance of decoded pixels (absolute and relative; pixels lie in [-1, 1]).</summary>
    public const double ImageTolerance = 2e-3;

    /// <summary>The seed of weights, order and codes.</summary>
    public const int Seed = 1234;

    /// <summary>Images generated: the rows are 2 x this (classifier-free guidance).</summary>
    public const int Images = 1;

    /// <summary>Decoding steps run.</summary>
    public const int Steps = 2;

    /// <summary>Tokens predicted per image per step, about what a 64-step ARPG-L generation asks per step.</summary>
    public const int TokensPerStep = 4;

    /// <summary>
    /// The token grid of the quick VQ decode (4 x 4 codes, 64 x 64 pixels): the same kernels as a
    /// 16 x 16 grid at a sixteenth of the work, which on ILGPU's GPU simulators is minutes less.
    /// </summary>
    public const int QuickVqGrid = 4;

    /// <summary>
    /// The ARPG-L-shaped model of the self-test: ARPG-L's width, heads, FFN and vocabulary at 2 of
    /// its 24 layers (one self-attention, one cross-attention). Every kernel then runs at the
    /// shapes ARPG-L gives it (depth only repeats them), and the CPU reference stays fast.
    /// </summary>
    public static ArpgConfig ArpgLWidth { get; } = ArpgConfig.Presets["ARPG-L"] with { Layers = 2 };

    /// <summary>
    /// Compares <paramref name="actual"/> with <paramref name="expected"/> (the reference):
    /// each value within tol + tol |expected|. Names the worst index, prefixed by
    /// <paramref name="worstPrefix"/> where the values are one of several arrays.
    /// </summary>
    public static SelfTestRow Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected,
        double tolerance, string worstPrefix = "")
    {
        if (actual.Length != expected.Length)
            return new SelfTestRow(name, expected.Length, double.PositiveInfinity,
                $"{actual.Length} values, expected {expected.Length}", false);
        double maxError = 0;
        long worst = -1;
        bool ok = true;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            bool within = error <= tolerance + tolerance * Math.Abs(expected[i]);
            ok &= within; // NaN fails: no comparison with NaN holds
            if (error > maxError || (double.IsNaN(error) && !double.IsNaN(maxError)))
            {
                maxError = error;
                worst = i;
            }
        }
        return new SelfTestRow(name, expected.Length, maxError, worst < 0 ? "-" : $"{worstPrefix}[{worst}]", ok);
    }

    /// <summary>
    /// Compares the argmax tokens of each row of logits [rows, vocab]. A differing token counts
    /// only where the reference's logits of the two tokens differ by more than the logit
    /// tolerance: a near tie may fall either way within the accuracy the logits were checked to.
    /// The error column is the reference's logit gap of the worst such token.
    /// </summary>
    public static SelfTestRow CompareTokens(string name, int[] actual, int[] expected, ReadOnlySpan<float> expectedLogits, int vocab)
    {
        double worstGap = 0;
        long worst = -1;
        bool ok = actual.Length == expected.Length;
        for (int i = 0; ok && i < expected.Length; i++)
        {
            if (actual[i] == expected[i])
                continue;
            float mine = expectedLogits[i * vocab + actual[i]], reference = expectedLogits[i * vocab + expected[i]];
            double gap = Math.Abs((double)reference - mine);
            ok &= gap <= LogitTolerance + LogitTolerance * Math.Abs(reference);
            if (gap >= worstGap)
            {
                worstGap = gap;
                worst = i;
            }
        }
        return new SelfTestRow(name, expected.Length, worstGap, worst < 0 ? "-" : $"[{worst}]", ok);
    }

    /// <summary>
    /// Runs the transformer self-test: a random model of <paramref name="config"/> on
    /// <paramref name="device"/> and on <paramref name="reference"/>, <see cref="Steps"/> steps, one
    /// row per phase of each step, plus logits and tokens. <paramref name="label"/> prefixes the rows.
    /// Both models store their weights in <paramref name="precision"/>.
    /// </summary>
    public static IReadOnlyList<SelfTestRow> CompareTransformers(ComputeDevice device, ComputeDevice reference,
        ArpgConfig config, string label, Precision precision = Precision.Fp32)
    {
        Recording expected, actual;
        using (ArpgTransformer model = ArpgTransformer.CreateRandom(reference, config, Seed, precision))
            expected = Record(model, feed: null);
        using (ArpgTransformer model = ArpgTransformer.CreateRandom(device, config, Seed, precision))
            actual = Record(model, feed: expected.Tokens);

        // in the order they ran: prefill, then per step pass 2, its logits and tokens, pass 1
        var rows = new List<SelfTestRow>();
        int step = 0;
        foreach ((string phase, List<(string Block, float[] Values)> blocks) in expected.Phases)
        {
            List<(string Block, float[] Values)> mine = actual.Phases.Single(p => p.Phase == phase).Blocks;
            SelfTestRow[] perBlock = blocks.Zip(mine, (e, a) => Compare(phase, a.Values, e.Values, LogitTolerance, a.Block)).ToArray();
            SelfTestRow worst = perBlock.MaxBy(r => r.MaxAbsError)!;
            rows.Add(worst with { Name = $"{label} {phase}", Count = perBlock.Sum(r => r.Count), Ok = perBlock.All(r => r.Ok) });
            if (!phase.EndsWith(Phases.Pass2, StringComparison.Ordinal))
                continue;
            rows.Add(Compare($"{label} step {step + 1} logits", actual.Logits[step], expected.Logits[step], LogitTolerance));
            rows.Add(CompareTokens($"{label} step {step + 1} tokens", actual.Tokens[step], expected.Tokens[step],
                expected.Logits[step], config.VocabSize));
            step++;
        }
        return rows;
    }

    /// <summary>
    /// Decodes one image of random codes with a random VQ of <paramref name="config"/> on both
    /// devices and compares the pixels.
    /// </summary>
    public static SelfTestRow CompareVqDecode(ComputeDevice device, ComputeDevice reference, VqConfig config, int grid, string label)
    {
        var rng = new Random(Seed);
        int[] codes = Enumerable.Range(0, grid * grid).Select(_ => rng.Next(config.CodebookSize)).ToArray();
        float[] Decode(ComputeDevice on)
        {
            using VqModel vq = VqModel.CreateRandom(on, config, Seed);
            return vq.Decode(codes, 1, grid, grid);
        }
        return Compare($"{label} vq decode", Decode(device), Decode(reference), ImageTolerance);
    }

    /// <summary>The table <c>arpg selftest</c> prints: one line per row, and the verdict.</summary>
    public static string Format(IReadOnlyList<SelfTestRow> rows)
    {
        int width = Math.Max(5, rows.Max(r => r.Name.Length));
        var lines = new List<string> { $"{"check".PadRight(width)}  {"values",9}  {"max abs error",13}  {"worst index",-16}  result" };
        lines.AddRange(rows.Select(r =>
            $"{r.Name.PadRight(width)}  {r.Count,9}  {r.MaxAbsError,13:E2}  {r.Worst,-16}  {(r.Ok ? "ok" : "FAIL")}"));
        return string.Join("\n", lines);
    }

    /// <summary>What one run recorded: block outputs per phase, and per step the logits and tokens.</summary>
    private sealed record Recording(
        List<(string Phase, List<(string Block, float[] Values)> Blocks)> Phases, List<float[]> Logits, int[][] Tokens);

    /// <summary>
    /// Prefill (the class and "no class" tokens through pass 1), then <see cref="Steps"/> steps of
    /// <see cref="TokensPerStep"/> queries at positions of a random order: pass 2, the head, the
    /// argmax tokens, and pass 1 feeding back <paramref name="feed"/>[step] (the reference's
    /// tokens) or, for the reference itself, its own.
    /// </summary>
    private static Recording Record(ArpgTransformer model, int[][]? feed)
    {
        ArpgConfig c = model.Config;
        int rows = 2 * Images, m = TokensPerStep, vocab = c.VocabSize;
        int[] order = RandomOrder.Draw(c.BlockSize, Seed);
        int[] classIds = [.. Enumerable.Range(0, Images).Select(i => c.ClassTokenId(i % c.NumClasses)),
            .. Enumerable.Repeat(c.NoClassTokenId, Images)];
        var phases = new List<(string, List<(string, float[])>)>();
        var logits = new List<float[]>();
        var tokens = new int[Steps][];
        List<(string, float[])>? current = null;
        void Phase(string name, Action run)
        {
            current = [];
            phases.Add((name, current));
            run();
        }

        using DecodeState state = model.CreateState(rows, Math.Max(1, m), m);
        model.Trace = (block, values) => current!.Add((block, values));
        try
        {
            Phase($"prefill {Phases.Pass1}", () => Prefill.Append(model, state, classIds,
                Enumerable.Range(0, rows).Select(_ => new int[c.BlockSize]).ToArray(), [Array.Empty<int>()]));
            for (int step = 0; step < Steps; step++)
            {
                int[] slots = order[(step * m)..((step + 1) * m)].Select(p => 1 + p).ToArray();
                state.SetQueries(m, slots);
                Phase($"step {step + 1} {Phases.Pass2}", () => model.CrossPass(state, AttentionMask.None));
                var stepLogits = new float[rows * m * vocab];
                model.Head(state).CopyToCPU(stepLogits);
                logits.Add(stepLogits);
                tokens[step] = Argmax(stepLogits, vocab);
                if (step < Steps - 1)
                {
                    state.SetInputs(feed?[step] ?? tokens[step], slots);
                    Phase($"step {step + 1} {Phases.Pass1}", () => model.Append(state, AttentionMask.None));
                }
            }
        }
        finally
        {
            model.Trace = null;
        }
        return new Recording(phases, logits, tokens);
    }

    /// <summary>The index of the largest value of each row of logits [rows, vocab] (first on ties).</summary>
    private static int[] Argmax(float[] logits, int vocab)
    {
        var best = new int[logits.Length / vocab];
        for (int r = 0; r < best.Length; r++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(r * vocab, vocab);
            for (int v = 1; v < vocab; v++)
                if (row[v] > row[best[r]])
                    best[r] = v;
        }
        return best;
    }
}
