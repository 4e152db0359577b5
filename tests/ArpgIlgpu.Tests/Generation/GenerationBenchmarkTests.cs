using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>
/// What `arpg bench` reports: the memory split of a generation (also without running it) and a
/// time and a cost for every phase. The times themselves are never asserted (docs/ARCHITECTURE.md).
/// </summary>
public class GenerationBenchmarkTests
{
    [Theory]
    [InlineData(Precision.Fp32, 4)]
    [InlineData(Precision.Fp16, 2)]
    [InlineData(Precision.Int8, 2)] // q8_0 weights, float16 caches
    public void MemoryOnlyAllocatesWhatAGenerationAllocates(Precision precision, int bytesPerValue)
    {
        ComputeDevice device = TestDevices.Get("cpu");
        ArpgConfig c = TinyRandom.Arpg;
        using var model = ArpgTransformer.CreateRandom(device, c, seed: 1, precision);
        const int batch = 3, steps = 8;
        long before = device.AllocatedBytes;

        MemorySplit planned = GenerationBenchmark.Memory(model, batch, steps);
        GenerationReport ran = GenerationBenchmark.Run(model, null, batch, steps, new DevicePeaks(1, 1, 1, 1));

        // one key and one value cache per pass-1 layer plus the shared pair, each [2B rows
        // (guidance), positions, dim]: the class token and every step's tokens but the last's,
        // which are sampled and never fed back
        int last = DecodingSchedule.TokensPerStep(c.BlockSize, steps, SampleSchedule.Arccos)[^1];
        Assert.True(last > 1);
        long caches = (c.Layers / 2 + 1) * 2L * (2 * batch) * (c.ClsTokenNum + c.BlockSize - last) * c.Dim * bytesPerValue;
        Assert.Equal(caches, planned.KvCaches);
        Assert.Equal(model.WeightBytes, planned.Weights);
        Assert.True(planned.Activations > 0);
        Assert.Equal(planned, ran.Memory);
        Assert.Equal(planned.Weights + planned.KvCaches + planned.Activations, planned.Total);
        Assert.Equal(before, device.AllocatedBytes); // nothing stays allocated
    }

    [Fact]
    public void EveryPhaseIsTimedAndCosted()
    {
        ComputeDevice device = TestDevices.Get("cpu");
        using var model = ArpgTransformer.CreateRandom(device, TinyRandom.Arpg, seed: 1);
        const int steps = 4;

        GenerationReport report = GenerationBenchmark.Run(model, null, batch: 2, steps, new DevicePeaks(1, 1, 1, 1));

        Assert.Equal(new[] { Phases.Pass1, Phases.Pass2, Phases.Head, Phases.Sampling }.Order(),
            report.Phases.Select(p => p.Name).Order());
        foreach (PhaseReport p in report.Phases)
        {
            Assert.True(p.Seconds > 0, $"{p.Name}: no time");
            Assert.True(p.Cost.Flops > 0 && p.Cost.Bytes > 0, $"{p.Name}: no cost");
        }
        // pass 2, the head and sampling run once per step, or once per chunk of a step wider than
        // pass 1's widest input (the last one here)
        int predictions = report.Phases.Single(p => p.Name == Phases.Pass2).Calls;
        Assert.True(predictions > steps, $"{predictions} predictions in {steps} steps: the last step was not chunked");
        Assert.Equal(predictions, report.Phases.Single(p => p.Name == Phases.Head).Calls);
        Assert.Equal(predictions, report.Phases.Single(p => p.Name == Phases.Sampling).Calls);
        Assert.True(report.CopyRooflineFraction > 0 && report.ReadRooflineFraction > 0);
    }

    [Theory]
    // 2 steps of 0.5 s each; peaks: read 20 GB/s, GEMM 100 GFLOP/s
    [InlineData(2e9, 20e9, 0.1, 0.2)] // 2 GB at 20 GB/s: 0.1 s; 20 GFLOP at 100: 0.2 s, the compute floor bounds
    [InlineData(8e9, 5e9, 0.4, 0.05)] // 8 GB: 0.4 s, 5 GFLOP: 0.05 s, the read floor bounds
    public void TheRooflineIsTheSlowerOfTheReadAndComputeFloors(double stepBytes, double stepFlops, double readFloor, double computeFloor)
    {
        var peaks = new DevicePeaks(CopyBandwidthGBs: 10, ReadBandwidthGBs: 20, GemmGflops: 100, GemmSize: 512);
        PhaseReport[] phases =
        [
            new(Phases.Pass1, 0.6, 2, new WorkCost(), peaks),
            new(Phases.Pass2, 0.4, 2, new WorkCost(), peaks),
            new(Phases.VqDecode, 5, 1, new WorkCost(), peaks), // not part of a step
        ];
        var report = new GenerationReport(1, 2, 6, phases, peaks, new MemorySplit(0, 0, 0), stepBytes, stepFlops);

        Assert.Equal(0.5, report.StepSeconds, 12);
        Assert.Equal(readFloor, report.ReadRooflineStepSeconds, 12);
        Assert.Equal(computeFloor, report.GemmFloorStepSeconds, 12);
        double floor = Math.Max(readFloor, computeFloor);
        Assert.Equal(floor, report.RooflineStepSeconds, 12);
        Assert.Equal(floor / 0.5, report.RooflineFraction, 12);
    }
}
