using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.Runtime.InteropServices;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Finite weights whose logits overflow (a head scaled towards float's limit) pass the load check
/// but stop generation with a clear error instead of writing meaningless tokens.
/// </summary>
public sealed class NonFiniteLogitsTests
{
    /// <summary>The head's weights at float's largest magnitude (finite, so the load accepts them): the logits overflow.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LogitsThatOverflowStopTheRun(bool withProgress)
    {
        using var dir = new TempDirectory();
        string scaled = dir.File("scaled.safetensors");
        using (StateDict original = StateDict.Open(Fixtures.PathOf("tiny", "arpg.safetensors")))
            SafeTensorsWriter.Write(scaled, original.Names.Select(name =>
            {
                TensorInfo info = original.Info(name);
                if (name != "head.weight")
                    return (info, original.ReadRawBytes(name));
                float[] values = original.ReadFloat32(name).Select(v => v >= 0 ? float.MaxValue : -float.MaxValue).ToArray();
                return (info with { DType = DType.Float32 }, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            }).ToList());

        using ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        using StateDict weights = StateDict.Open(scaled);
        using ArpgTransformer model = ArpgTransformer.Load(device, ModelConfigFile.Read(Fixtures.PathOf("tiny", "json")).Arpg!, weights);
        var decoder = new ParallelDecoder(model);
        var options = new GenerationOptions { Steps = 4 };
        IProgress<DecodeProgress>? progress = withProgress ? new Progress<DecodeProgress>(_ => { }) : null;
        var e = Assert.Throws<InvalidInputException>(() => decoder.Generate([1, 2], options, progress: progress));
        Assert.Contains("NaN or infinite", e.Message);
        if (withProgress)
            Assert.Contains("by step 1", e.Message);

        // the same model, unscaled, generates
        using StateDict plain = StateDict.Open(Fixtures.PathOf("tiny", "arpg.safetensors"));
        using ArpgTransformer good = ArpgTransformer.Load(device, model.Config, plain);
        Assert.Equal(2, new ParallelDecoder(good).Generate([1, 2], options).Length);
    }
}
