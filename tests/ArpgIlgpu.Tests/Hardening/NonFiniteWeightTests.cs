using System.Runtime.InteropServices;
using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Checkpoints with NaN or infinite weights are refused at load, naming the file and tensor,
/// for the transformer and the tokenizer, in float32, float16 and bfloat16 files.
/// </summary>
public sealed class NonFiniteWeightTests
{
    private static readonly float[] Poisons = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    /// <summary>5000 random arrays (lengths 0 to 300, around the vector width) with 0 to 3 poisons: the first found exactly.</summary>
    [Fact]
    public void TheFirstNonFiniteValueIsFoundWherever()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 5000; trial++)
        {
            var values = new float[random.Next(0, 300)];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(random.NextDouble() - 0.5) * (random.Next(4) == 0 ? float.MaxValue : 10);
            long expected = -1;
            for (int n = values.Length == 0 ? 0 : random.Next(0, 4); n > 0; n--)
            {
                int at = random.Next(values.Length);
                values[at] = Poisons[random.Next(Poisons.Length)];
                expected = expected < 0 ? at : Math.Min(expected, at);
            }
            Assert.Equal(expected, FiniteWeights.FirstNonFinite(values));
        }
    }

    public static TheoryData<string, string, int> PoisonedTensors()
    {
        var cases = new TheoryData<string, string, int>();
        var random = new Random(9);
        foreach ((string fixture, string file) in new[] { ("tiny", "arpg.safetensors"), ("tiny-fp16", "arpg.safetensors"), ("tiny", "vq.pt") })
            for (int i = 0; i < 4; i++)
                cases.Add(fixture, file, random.Next());
        return cases;
    }

    /// <summary>A random tensor of a fixture checkpoint, one random element poisoned, rewritten as safetensors: refused naming it.</summary>
    [Theory, MemberData(nameof(PoisonedTensors))]
    public void LoadRefusesAPoisonedTensorNamingIt(string fixture, string file, int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        string poisoned = dir.File("poisoned.safetensors");
        string victim;
        using (StateDict original = StateDict.Open(Fixtures.PathOf(fixture, file)))
        {
            string[] floats = original.Names.Where(n => original.Info(n).DType is DType.Float32 or DType.Float16 or DType.BFloat16).ToArray();
            victim = floats[random.Next(floats.Length)];
            var tensors = original.Names.Select(name =>
            {
                TensorInfo info = original.Info(name);
                if (name != victim)
                    return (info, original.ReadRawBytes(name));
                float[] values = original.ReadFloat32(name);
                values[random.Next(values.Length)] = Poisons[random.Next(Poisons.Length)];
                return (info with { DType = DType.Float32 }, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            }).ToList();
            SafeTensorsWriter.Write(poisoned, tensors);
        }
        using ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        ModelConfigFile config = ModelConfigFile.Read(Fixtures.PathOf(fixture, "json"));
        using StateDict weights = StateDict.Open(poisoned);
        var e = Assert.Throws<CheckpointFormatException>(() =>
        {
            if (file.StartsWith("vq", StringComparison.Ordinal))
                VqModel.Load(device, config.Vq!, weights).Dispose();
            else
                ArpgTransformer.Load(device, config.Arpg!, weights).Dispose();
        });
        Assert.Contains($"'{victim}'", e.Message);
        Assert.Contains(poisoned, e.Message);
        Assert.Matches("NaN|Inf", e.Message);
    }
}
