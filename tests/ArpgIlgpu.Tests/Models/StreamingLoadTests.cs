using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Models;

/// <summary>
/// Loading streams a checkpoint tensor by tensor: read one into the staging buffer, convert,
/// upload, reuse the buffer for the next. So a load onto a host-memory device (the CPU
/// accelerator, PoCL) needs at most the weights on the device + 10% + the largest tensor, where it
/// used to hold a host copy of every tensor beside them (twice the weights: 10.4 GB for ARPG-XXL).
/// Checked through the accounting, not by timing: the device budget's peak (device buffers plus
/// the staging buffer, which host-memory devices count there) and the managed bytes the load
/// allocated on this thread (every host array it made, whether or not the GC has freed it since).
/// </summary>
public class StreamingLoadTests
{
    // 8 layers of width 128: 6 MB of weights, the largest tensor (a 384 x 128 feed-forward matrix) 196 KB
    private static readonly ArpgConfig Config = new()
    {
        Dim = 128, Layers = 8, Heads = 4, VocabSize = 64, NumClasses = 10, BlockSize = 256, MultipleOf = 32,
    };

    [Theory, Cpu, OpenCl]
    public void ALoadHoldsTheWeightsAndOneTensorAtATime(string backend)
    {
        using var dir = new TempDirectory();
        var rng = new Random(19);
        Dictionary<string, float[]> values = Config.ExpectedTensors().ToDictionary(t => t.Key, t =>
            Enumerable.Range(0, (int)Tensor<float>.ElementCount(t.Value)).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray());
        string path = dir.File("arpg.pt");
        File.WriteAllBytes(path, new TorchCheckpointBuilder
        {
            Key = "model",
            Tensors = Config.ExpectedTensors().Select(t => BuiltTensor.Float32(t.Key, values[t.Key], t.Value.Select(d => (long)d).ToArray())).ToList(),
        }.ToArray());
        long largestTensor = values.Values.Max(v => v.LongLength) * sizeof(float);
        ComputeDevice device = TestDevices.Get(backend);

        foreach (Precision precision in new[] { Precision.Fp32, Precision.Fp16 })
        {
            using StateDict stateDict = StateDict.Open(path);
            // a first load compiles the upload kernels this precision uses, once per device (host
            // allocations that depend on which test ran first): the second load is the one measured
            using (ArpgWeights.Load(device, Config, stateDict, precision)) { }
            long before = device.Memory.Used;
            device.Memory.ResetPeak();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

            using ArpgWeights weights = ArpgWeights.Load(device, Config, stateDict, precision);

            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            long peak = device.Memory.Peak - before;
            Assert.Equal(weights.Bytes, device.Memory.Used - before); // the staging buffer was given back
            Assert.True(peak <= weights.Bytes * 1.1 + largestTensor,
                $"{precision}: the load peaked at {peak} bytes for {weights.Bytes} of weights (largest tensor {largestTensor})");
            Assert.True(allocated <= weights.Bytes / 10 + largestTensor,
                $"{precision}: the load allocated {allocated} bytes on the host for {weights.Bytes} of weights (largest tensor {largestTensor})");

            // what streamed through the one buffer is each tensor's own values, stacked ones in their rows
            float[] expectedQkv = [.. values["layers.self_dec.1.attn.to_q.weight"], .. values["layers.self_dec.1.attn.to_k.weight"],
                .. values["layers.self_dec.1.attn.to_v.weight"]];
            float Stored(float v) => precision == Precision.Fp16 ? (float)(Half)v : v;
            Assert.Equal(expectedQkv.Select(Stored), weights.SelfLayers[1].ToQkv!.ToFloatArray());
            Assert.Equal(values["head.weight"].Select(Stored), weights.Head.ToFloatArray());
            Assert.Equal(values["layers.cross_dec.3.ffn_norm.weight"], weights.CrossLayers[3].FfnNorm.ToArray());
        }
    }
}
