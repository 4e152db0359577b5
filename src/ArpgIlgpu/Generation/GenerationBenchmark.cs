using System.Diagnostics;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>One phase of a benchmark: time and work, and both as rates and fractions of the device's peaks.</summary>
/// <param name="Name">pass 1, pass 2, head, sampling or vq decode.</param>
/// <param name="Seconds">Total wall time in the phase.</param>
/// <param name="Calls">Times the phase ran.</param>
/// <param name="Cost">FLOPs and bytes the phase had to do (see <see cref="ArpgCost"/>).</param>
/// <param name="Peaks">The device's measured peaks.</param>
public sealed record PhaseReport(string Name, double Seconds, int Calls, WorkCost Cost, DevicePeaks Peaks)
{
    /// <summary>Achieved GFLOP/s.</summary>
    public double Gflops => Cost.Flops / Seconds / 1e9;
    /// <summary>Achieved GB/s.</summary>
    public double Gbs => Cost.Bytes / Seconds / 1e9;
    /// <summary>Achieved bandwidth over the copy probe's.</summary>
    public double FractionOfBandwidth => Gbs / Peaks.CopyBandwidthGBs;
    /// <summary>Achieved GFLOP/s over the GEMM probe's.</summary>
    public double FractionOfGemm => Gflops / Peaks.GemmGflops;
}

/// <summary>The result of <see cref="GenerationBenchmark.Run"/>.</summary>
public sealed record GenerationReport(
    int Batch, int Steps, double Seconds, IReadOnlyList<PhaseReport> Phases, DevicePeaks Peaks,
    MemorySplit Memory, double StepBytes, double StepFlops)
{
    /// <summary>Images per second (token generation, plus VQ decoding when it was measured).</summary>
    public double ImagesPerSecond => Batch / Seconds;
    /// <summary>Image tokens per second.</summary>
    public double TokensPerSecond(int tokensPerImage) => Batch * (double)tokensPerImage / Seconds;
    /// <summary>Mean time of a decoding step (passes, head and sampling).</summary>
    public double StepSeconds => Phases.Where(p => p.Name != ArpgIlgpu.Generation.Phases.VqDecode).Sum(p => p.Seconds) / Steps;
    /// <summary>
    /// The memory-bandwidth floor of a step at the copy probe's rate: the bytes a step must move
    /// (all weights once, the caches, the logits) over the copy bandwidth. Compute-bound batches
    /// sit above it.
    /// </summary>
    public double CopyRooflineStepSeconds => StepBytes / (Peaks.CopyBandwidthGBs * 1e9);
    /// <summary>Copy-roofline time over achieved time: 1 means the step streams memory as fast as a copy.</summary>
    public double CopyRooflineFraction => CopyRooflineStepSeconds / StepSeconds;
    /// <summary>
    /// The same bytes at the read probe's rate: the floor of a step that mostly reads (its
    /// weights and caches), as a batch-1 step does.
    /// </summary>
    public double ReadRooflineStepSeconds => StepBytes / (Peaks.ReadBandwidthGBs * 1e9);
    /// <summary>Read-roofline time over achieved time: 1 means the step reads memory as fast as the read probe.</summary>
    public double ReadRooflineFraction => ReadRooflineStepSeconds / StepSeconds;
    /// <summary>
    /// The compute floor of a step: its floating-point operations (GEMMs, attention, head) at the
    /// GEMM probe's rate. At batch 1 the GEMMs see 2-16 rows (the tokens of a step, twice with
    /// guidance), and on a CPU of few cores this floor can lie above the bandwidth floors.
    /// </summary>
    public double GemmFloorStepSeconds => StepFlops / (Peaks.GemmGflops * 1e9);
    /// <summary>
    /// The roofline model's floor of a step: the slower of moving its bytes at the read probe's
    /// rate and doing its operations at the GEMM probe's (attainable rate = min(peak compute,
    /// bandwidth x operations per byte)).
    /// </summary>
    public double RooflineStepSeconds => Math.Max(ReadRooflineStepSeconds, GemmFloorStepSeconds);
    /// <summary>Roofline time over achieved time: 1 means the step runs at whichever probe bounds it.</summary>
    public double RooflineFraction => RooflineStepSeconds / StepSeconds;
}

/// <summary>Device memory of one generation: the weights, the KV caches and the activations (bytes).</summary>
public sealed record MemorySplit(long Weights, long KvCaches, long Activations)
{
    /// <summary>All three together.</summary>
    public long Total => Weights + KvCaches + Activations;
}

/// <summary>
/// Times a whole generation and its phases on the current weights (the shapes are what matter:
/// random weights do the same work), after a warm-up that compiles the kernels.
/// </summary>
public static class GenerationBenchmark
{
    /// <summary>Generates <paramref name="batch"/> images in <paramref name="steps"/> steps (and decodes them when a tokenizer is given).</summary>
    public static GenerationReport Run(ArpgTransformer model, VqModel? tokenizer, int batch, int steps, DevicePeaks peaks)
    {
        ArpgConfig c = model.Config;
        int[] classes = Enumerable.Range(0, batch).Select(i => i % c.NumClasses).ToArray();
        var options = new GenerationOptions { Steps = steps };

        // warm-up: compile every kernel once (two steps take every path of the loop; one decode
        // compiles the VQ's kernels, which took 8 s on PoCL and were counted in the total before)
        int[][] warmUp = new ParallelDecoder(model).Generate(classes, options with { Steps = Math.Min(2, steps) });
        if (tokenizer is not null)
            TokenPictures.Decode(tokenizer, warmUp);

        // wall time of the real thing, without the clock's synchronisation
        long start = Stopwatch.GetTimestamp();
        int[][] tokens = new ParallelDecoder(model).Generate(classes, options);
        if (tokenizer is not null)
            TokenPictures.Decode(tokenizer, tokens);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        // the same run, phase by phase
        var clock = new PhaseClock(model.Device);
        var decoder = new ParallelDecoder(model) { Clock = clock };
        decoder.Generate(classes, options);
        if (tokenizer is not null)
            clock.Run(Phases.VqDecode, () => TokenPictures.Decode(tokenizer, tokens));

        Dictionary<string, WorkCost> costs = Costs(
            new ArpgCost(c, model.Precision.WeightBytesPerElement(), model.Precision.CacheBytesPerElement()), c, tokenizer?.Config,
            2 * batch, batch, steps);
        var phases = clock.Phases
            .Select(p => new PhaseReport(p.Phase, p.Time.TotalSeconds, p.Calls, costs[p.Phase], peaks)).ToList();
        WorkCost[] stepWork = costs.Where(p => p.Key != Phases.VqDecode).Select(p => p.Value).ToArray();
        return new GenerationReport(batch, steps, seconds, phases, peaks, MemoryOf(model, decoder),
            stepWork.Sum(w => w.Bytes) / steps, stepWork.Sum(w => w.Flops) / steps);
    }

    /// <summary>
    /// The memory a generation of <paramref name="batch"/> images in <paramref name="steps"/> steps
    /// takes, allocated on the device and freed again without running a step.
    /// </summary>
    public static MemorySplit Memory(ArpgTransformer model, int batch, int steps)
    {
        var decoder = new ParallelDecoder(model);
        decoder.AllocateOnly(batch, new GenerationOptions { Steps = steps });
        return MemoryOf(model, decoder);
    }

    private static MemorySplit MemoryOf(ArpgTransformer model, ParallelDecoder decoder) =>
        new(model.WeightBytes, decoder.LastRunMemory.KvCacheBytes, decoder.LastRunMemory.ActivationBytes);

    /// <summary>The work of each phase over the whole run, replaying the schedule.</summary>
    private static Dictionary<string, WorkCost> Costs(ArpgCost cost, ArpgConfig c, VqConfig? vq, int rows, int images, int steps)
    {
        var total = new Dictionary<string, WorkCost>
        {
            [Phases.Pass1] = cost.Pass1(rows, 1, 1), // prefill: the class token
            [Phases.Pass2] = new(),
            [Phases.Head] = new(),
            [Phases.Sampling] = new(),
        };
        int[] counts = DecodingSchedule.TokensPerStep(c.BlockSize, steps, SampleSchedule.Arccos);
        int length = 1;
        for (int s = 0; s < counts.Length; s++)
        {
            int m = counts[s];
            total[Phases.Pass2] += cost.Pass2(rows, m, length);
            total[Phases.Head] += cost.Head(rows, m);
            total[Phases.Sampling] += cost.Sampling(rows, m);
            if (s < counts.Length - 1)
            {
                length += m;
                total[Phases.Pass1] += cost.Pass1(rows, m, length);
            }
        }
        if (vq is not null)
        {
            WorkCost one = VqCost.Decode(vq, c.GridSize);
            total[Phases.VqDecode] = new WorkCost(one.Flops * images, one.Bytes * images);
        }
        return total;
    }
}
