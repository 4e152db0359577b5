using System.Runtime.InteropServices;
using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ArpgIlgpu.Tests.Models;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// `arpg convert --dtype int8` on the fixture checkpoints: every weight matrix written as a q8_0
/// pair (NAME I8, NAME.q8_scale F32) equal to quantising at load, the rest as stored; the file loads
/// without re-quantising to the same logits as quantising at load; under fp32 it loads dequantised,
/// which the int8 kernels must match to fp16's rounding (their KV caches and embeddings are fp16).
/// Damaged pairs (a missing scale, a scale of the wrong shape or dtype, a NaN scale) are refused
/// with an error naming the tensor.
/// </summary>
public sealed class Q8CheckpointTests : IDisposable
{
    private readonly TempDirectory folder = new();

    public void Dispose() => folder.Dispose();

    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    [Theory, MemberData(nameof(FixtureNames))]
    public void ConvertWritesTheMatricesAsQ80Pairs(string fixture)
    {
        using var f = new FixtureSet(fixture);
        string output = Convert(f);
        using var original = StateDict.Open(f.ArpgCheckpoint);
        using var converted = StateDict.Open(output);
        IReadOnlyDictionary<string, int[]> expected = f.Arpg.ExpectedTensors();
        foreach (string name in original.Names)
        {
            TensorInfo info = original.Info(name);
            bool matrix = info.Shape.Length == 2 && name != "embeddings.weight";
            Assert.Equal(matrix ? DType.Int8 : info.DType, converted.Info(name).DType);
            Assert.Equal(info.Shape, converted.Info(name).Shape);
            if (!matrix)
            {
                Assert.Equal(original.ReadRawBytes(name), converted.ReadRawBytes(name));
                continue;
            }
            Q8Matrix q = Q8Matrix.Quantize(original.ReadFloat32(name), info.Shape[0], info.Shape[1]);
            Q8Matrix read = Q8Checkpoint.Read(converted, name);
            Assert.Equal(q.Values, read.Values);
            Assert.Equal(q.Scales, read.Scales);
        }
        Assert.Equal(expected.Count(e => e.Value.Length == 2 && e.Key != "embeddings.weight"),
            converted.Names.Count(n => n.EndsWith(Q8Checkpoint.ScaleSuffix, StringComparison.Ordinal)));
        Load(converted, f, Precision.Fp32).Dispose();
        Assert.Empty(converted.IgnoredNames); // the scales are not unused entries
    }

    [Theory, MemberData(nameof(FixtureNames))]
    public void TheConvertedFileGivesTheLogitsOfQuantisingAtLoad(string fixture)
    {
        using var f = new FixtureSet(fixture);
        using var converted = StateDict.Open(Convert(f));
        ComputeDevice device = TestDevices.Get("cpu");
        using ArpgTransformer atLoad = f.LoadTransformer(device, Precision.Int8);
        using ArpgTransformer fromFile = ArpgTransformer.Load(device, f.Arpg, converted, Precision.Int8);
        using ArpgTransformer dequantized = ArpgTransformer.Load(device, f.Arpg, converted, Precision.Fp32);
        var expected = ArpgTransformerFixtureTests.OfficialSteps(atLoad, f, []).Take(3).ToList();
        var actual = ArpgTransformerFixtureTests.OfficialSteps(fromFile, f, []).Take(3).ToList();
        var reference = ArpgTransformerFixtureTests.OfficialSteps(dequantized, f, []).Take(3).ToList();
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Logits, actual[i].Logits);
            // the dequantised weights in float32: the int8 kernels differ by fp16 KV caches and embeddings only
            TestData.AssertClose(reference[i].Logits, actual[i].Logits, rtol: 0, atol: 0.02f, $"step {expected[i].Step}");
        }
    }

    public static IEnumerable<object[]> Damages() =>
    [
        ["missing scale", "has no scale tensor 'layers.self_dec.0.attn.proj.weight.q8_scale'"],
        ["wrong shape", "q8_0 scale tensor 'layers.self_dec.0.attn.proj.weight.q8_scale' has shape"],
        ["float16 scale", "q8_0 scale tensor 'layers.self_dec.0.attn.proj.weight.q8_scale' is float16, not float32"],
        ["NaN scale", "q8_0 scale tensor 'layers.self_dec.0.attn.proj.weight.q8_scale' holds NaN at element 3"],
        ["scale of a float matrix", "is the q8_0 scale of 'layers.self_dec.0.attn.proj.weight', which is float32, not int8"],
    ];

    [Theory, MemberData(nameof(Damages))]
    public void ADamagedPairIsRefusedNamingTheTensor(string damage, string message)
    {
        using var f = new FixtureSet("tiny");
        const string matrix = "layers.self_dec.0.attn.proj.weight", scale = matrix + Q8Checkpoint.ScaleSuffix;
        string damaged = folder.File("damaged.safetensors");
        using (var converted = StateDict.Open(Convert(f)))
        {
            var tensors = converted.Names.Select(n => (Info: converted.Info(n), Bytes: converted.ReadRawBytes(n))).ToList();
            int at = tensors.FindIndex(t => t.Info.Name == scale);
            var (info, bytes) = tensors[at];
            switch (damage)
            {
                case "missing scale":
                    tensors.RemoveAt(at);
                    break;
                case "wrong shape":
                    tensors[at] = (info with { Shape = [info.Shape[0] * info.Shape[1], 1] }, bytes);
                    break;
                case "float16 scale":
                    tensors[at] = (info with { DType = DType.Float16 }, bytes[..(bytes.Length / 2)]);
                    break;
                case "NaN scale":
                    MemoryMarshal.Cast<byte, float>(bytes.AsSpan())[3] = float.NaN;
                    break;
                default: // the float32 matrix with a scale beside it
                    float[] w;
                    int values = tensors.FindIndex(t => t.Info.Name == matrix);
                    using (var original = StateDict.Open(f.ArpgCheckpoint))
                        w = original.ReadFloat32(matrix);
                    tensors[values] = (tensors[values].Info with { DType = DType.Float32 }, MemoryMarshal.AsBytes(w.AsSpan()).ToArray());
                    break;
            }
            SafeTensorsWriter.Write(damaged, tensors);
        }
        using var weights = StateDict.Open(damaged);
        foreach (Precision precision in new[] { Precision.Int8, Precision.Fp32 })
        {
            var error = Assert.ThrowsAny<InvalidInputException>(() => Load(weights, f, precision).Dispose());
            Assert.Contains(message, error.Message);
            Assert.Contains(damaged, error.Message);
        }
    }

    private string Convert(FixtureSet f)
    {
        string output = folder.File($"{Guid.NewGuid():N}.int8.safetensors");
        CliResult result = CliInvocation.Run("convert", f.ArpgCheckpoint, output, "--dtype", "int8");
        Assert.True(result.ExitCode == 0, result.Error);
        return output;
    }

    private static ArpgTransformer Load(StateDict weights, FixtureSet f, Precision precision) =>
        ArpgTransformer.Load(TestDevices.Get("cpu"), f.Arpg, weights, precision);
}
