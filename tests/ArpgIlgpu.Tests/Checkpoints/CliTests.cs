using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// `arpg inspect` and `arpg convert` on the fixture checkpoints, run in-process: what inspect lists,
/// that convert's output reads back to the same tensors, that --dtype float16 rounds as IEEE half
/// (checked against a bit-level reference written here), and that a failed convert leaves no file.
/// </summary>
public sealed class CliTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("arpg-cli-");

    public void Dispose() => _folder.Delete(recursive: true);

    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    [Theory, MemberData(nameof(FixtureNames))]
    public void InspectListsEveryTensorThenTheParameterCount(string fixture)
    {
        CliResult result = CliInvocation.Run("inspect", Fixtures.PathOf(fixture, "arpg.pt"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        // the independently written safetensors copy says what the listing must hold
        using var expected = StateDict.Open(Fixtures.PathOf(fixture, "arpg.safetensors"));
        string[] lines = result.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(expected.Names.Count + 1, lines.Length);
        var listed = lines[..^1].Select(line => line.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        Assert.All(listed, columns => Assert.Equal(3, columns.Length));
        Assert.Equal(expected.Names.Order(StringComparer.Ordinal), listed.Select(c => c[0]).Order(StringComparer.Ordinal));
        foreach (string[] columns in listed)
        {
            TensorInfo info = expected.Info(columns[0]);
            Assert.Equal(info.DType.TorchName(), columns[1]);
            Assert.Equal(TensorInfo.FormatShape(info.Shape), columns[2]);
        }
        long parameters = expected.Names.Sum(n => expected.Info(n).ElementCount);
        Assert.StartsWith($"{expected.Names.Count} tensors, {parameters:N0} parameters", lines[^1]);
        Assert.Contains(fixture == "tiny" ? "key 'state_dict'" : "key 'model'", lines[^1]);
    }

    [Theory, MemberData(nameof(FixtureNames))]
    public void ConvertWritesFloat32ThatReadsBackBitForBit(string fixture)
    {
        string input = Fixtures.PathOf(fixture, "arpg.pt"), output = Path.Combine(_folder.FullName, "out.safetensors");

        CliResult result = CliInvocation.Run("convert", input, output);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal([output], Directory.GetFiles(_folder.FullName)); // no temporary file left beside it
        using var original = StateDict.Open(input);
        using var converted = StateDict.Open(output);
        Assert.Equal(original.Names, converted.Names);
        foreach (string name in original.Names)
        {
            Assert.Equal(DType.Float32, converted.Info(name).DType);
            Assert.Equal(original.Info(name).Shape, converted.Info(name).Shape);
            Assert.Equal(Bits(original.ReadFloat32(name)), Bits(converted.ReadFloat32(name)));
        }
    }

    [Fact]
    public void ConvertWithWeightsEmaWritesTheEmaCopyNotTheModel()
    {
        string input = Path.Combine(_folder.FullName, "training.pt"), output = Path.Combine(_folder.FullName, "ema.safetensors");
        File.WriteAllBytes(input, CheckpointZooTests.TrainingCheckpointWithEma("tiny"));

        CliResult result = CliInvocation.Run("convert", input, output, "--weights", "ema");

        Assert.True(result.ExitCode == 0, result.Error);
        using var ema = StateDict.Open(input, "ema");
        using var model = StateDict.Open(input);
        using var converted = StateDict.Open(output);
        Assert.Equal(ema.Names, converted.Names);
        Assert.All(ema.Names, name => Assert.Equal(Bits(ema.ReadFloat32(name)), Bits(converted.ReadFloat32(name))));
        // the two copies differ, so writing the default one would have failed above
        Assert.Contains(model.Names, name => !Bits(model.ReadFloat32(name)).SequenceEqual(Bits(ema.ReadFloat32(name))));
    }

    [Theory, MemberData(nameof(FixtureNames))]
    public void ConvertToFloat16RoundsEveryWeightToNearestEven(string fixture)
    {
        string input = Fixtures.PathOf(fixture, "arpg.pt"), output = Path.Combine(_folder.FullName, "half.safetensors");

        Assert.Equal(0, CliInvocation.Run("convert", input, output, "--dtype", "float16").ExitCode);

        using var original = StateDict.Open(input);
        using var converted = StateDict.Open(output);
        foreach (string name in original.Names)
        {
            Assert.Equal(DType.Float16, converted.Info(name).DType);
            ushort[] expected = original.ReadFloat32(name).Select(ReferenceHalf.Bits).ToArray();
            Assert.Equal(expected, MemoryMarshal.Cast<byte, ushort>(converted.ReadRawBytes(name)).ToArray());
        }
    }

    [Fact]
    public void ConvertToFloat16RoundsTiesOverflowAndSubnormalsAsIeeeHalf()
    {
        // values where rounding is delicate, converted from a float32 safetensors file written here
        float[] values =
        [
            1f, -2f, 0f, -0f, 65504f, 65519.996f, 65520f, 1e10f, float.PositiveInfinity, float.NegativeInfinity,
            1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 1f + MathF.Pow(2, -11) + MathF.Pow(2, -20),
            MathF.Pow(2, -24), MathF.Pow(2, -25), MathF.Pow(2, -25) * 1.5f, MathF.Pow(2, -26), 6.1e-5f, 5.9604645e-8f,
            -3.1415927f, 0.1f, 1e-30f,
        ];
        string input = Path.Combine(_folder.FullName, "edge.safetensors"), output = Path.Combine(_folder.FullName, "edge16.safetensors");
        SafeTensorsWriter.Write(input, [(new TensorInfo("edge", DType.Float32, [values.Length]), MemoryMarshal.AsBytes(values.AsSpan()).ToArray())]);

        Assert.Equal(0, CliInvocation.Run("convert", input, output, "--dtype", "float16").ExitCode);

        using var converted = StateDict.Open(output);
        Assert.Equal(values.Select(ReferenceHalf.Bits).ToArray(),
                     MemoryMarshal.Cast<byte, ushort>(converted.ReadRawBytes("edge")).ToArray());
    }

    [Fact]
    public void ReferenceHalfGivesTheKnownBitPatterns()
    {
        // IEEE 754 binary16 encodings, from the standard's definition
        Assert.Equal(0x3C00, ReferenceHalf.Bits(1f));
        Assert.Equal(0xC000, ReferenceHalf.Bits(-2f));
        Assert.Equal(0x7BFF, ReferenceHalf.Bits(65504f));                      // largest finite
        Assert.Equal(0x7C00, ReferenceHalf.Bits(65520f));                      // halfway to 2^16 rounds up to infinity
        Assert.Equal(0x3C00, ReferenceHalf.Bits(1f + MathF.Pow(2, -11)));      // tie, to even (down)
        Assert.Equal(0x3C02, ReferenceHalf.Bits(1f + 3 * MathF.Pow(2, -11)));  // tie, to even (up)
        Assert.Equal(0x0001, ReferenceHalf.Bits(MathF.Pow(2, -24)));           // smallest subnormal
        Assert.Equal(0x0000, ReferenceHalf.Bits(MathF.Pow(2, -25)));           // tie below it, to even (zero)
        Assert.Equal(0x0002, ReferenceHalf.Bits(MathF.Pow(2, -25) * 3));       // 1.5 x 2^-24, tie, to even (2)
        Assert.Equal(0x0400, ReferenceHalf.Bits(MathF.Pow(2, -14)));           // smallest normal
        Assert.Equal(0x7E00, ReferenceHalf.Bits(float.NaN) & 0x7E00);          // a quiet NaN
    }

    [Fact]
    public void ConvertKeepWritesTheStoredDTypeByteForByte()
    {
        string input = Fixtures.PathOf("tiny-fp16", "arpg.pt"), output = Path.Combine(_folder.FullName, "kept.safetensors");

        Assert.Equal(0, CliInvocation.Run("convert", input, output, "--dtype", "keep").ExitCode);

        using var reference = StateDict.Open(Fixtures.PathOf("tiny-fp16", "arpg.safetensors"));
        using var converted = StateDict.Open(output);
        foreach (string name in reference.Names)
        {
            Assert.Equal(DType.Float16, converted.Info(name).DType);
            Assert.Equal(reference.ReadRawBytes(name), converted.ReadRawBytes(name));
        }
    }

    [Fact]
    public void ConvertOfATruncatedCheckpointFailsWithOneLineAndWritesNothing()
    {
        byte[] whole = File.ReadAllBytes(Fixtures.PathOf("tiny", "arpg.pt"));
        string input = Path.Combine(_folder.FullName, "cut.pt"), output = Path.Combine(_folder.FullName, "out.safetensors");
        File.WriteAllBytes(input, whole[..(whole.Length / 2)]);

        CliResult result = CliInvocation.Run("convert", input, output);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains(input, result.Error);
        Assert.Equal([input], Directory.GetFiles(_folder.FullName));
    }

    [Fact]
    public void ConvertIntoAMissingFolderFailsWithOneLine()
    {
        string output = Path.Combine(_folder.FullName, "no-such-folder", "out.safetensors");

        CliResult result = CliInvocation.Run("convert", Fixtures.PathOf("tiny-fp16", "arpg.pt"), output);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains("out.safetensors", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_folder.FullName));
    }

    [Theory]
    [InlineData("convert", "--dtype", "int4")]
    [InlineData("inspect", "no-such-file.pt")]
    public void BadArgumentsExitWithCode2(params string[] args)
    {
        string[] withPaths = args[0] == "convert"
            ? [args[0], Fixtures.PathOf("tiny", "arpg.pt"), Path.Combine(_folder.FullName, "x.safetensors"), .. args[1..]]
            : args;

        CliResult result = CliInvocation.Run(withPaths);

        Assert.Equal(2, result.ExitCode);
        Assert.NotEqual("", result.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_folder.FullName));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>float32 -> binary16 by hand, rounding to nearest even: the reference for --dtype float16.</summary>
    private static class ReferenceHalf
    {
        public static ushort Bits(float value)
        {
            uint x = BitConverter.SingleToUInt32Bits(value);
            uint sign = (x >> 16) & 0x8000;
            int exponent = (int)((x >> 23) & 0xFF);
            uint mantissa = x & 0x7FFFFF;
            if (exponent == 0xFF) // infinity, or NaN (kept quiet)
                return (ushort)(sign | 0x7C00 | (mantissa != 0 ? 0x200 | (mantissa >> 13) : 0));
            int halfExponent = exponent - 127 + 15;
            if (halfExponent >= 0x1F)
                return (ushort)(sign | 0x7C00);
            if (halfExponent > 0) // normal: drop 13 mantissa bits; a carry may step the exponent, up to infinity
                return (ushort)(sign | RoundShift(((uint)halfExponent << 23) | mantissa, 13));
            if (halfExponent < -10) // below half the smallest subnormal
                return (ushort)sign;
            // subnormal: the value is (1.mantissa) x 2^(exponent - 127) = m x 2^-24
            return (ushort)(sign | RoundShift(mantissa | 0x800000, 14 - halfExponent));
        }

        // value >> shift, rounded to nearest, ties to even
        private static uint RoundShift(uint value, int shift)
        {
            uint result = value >> shift, rest = value & ((1u << shift) - 1), half = 1u << (shift - 1);
            return rest > half || (rest == half && (result & 1) != 0) ? result + 1 : result;
        }
    }
}
