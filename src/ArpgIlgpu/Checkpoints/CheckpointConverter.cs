using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Rewrites a checkpoint (.pt or .safetensors) as a safetensors file, one tensor at a time, so a
/// 5 GB checkpoint converts without holding it in memory. The output is written atomically (see
/// <see cref="SafeTensorsWriter"/>): on any error, including a malformed tensor found half way,
/// neither the output nor a temporary file is left behind.
/// </summary>
public static class CheckpointConverter
{
    /// <summary>
    /// Converts <paramref name="inputPath"/> to the safetensors file <paramref name="outputPath"/>.
    /// Floating-point tensors are written as <paramref name="floatType"/> (<see cref="DType.Float32"/>
    /// or <see cref="DType.Float16"/>, rounded to nearest even), or as stored when it is null; integer
    /// and bool tensors are always written as stored, and so are q8_0 pairs (<see cref="Q8Checkpoint"/>).
    /// <see cref="DType.Int8"/> quantises every 2-D floating-point tensor except embedding tables
    /// (names ending in <c>embedding.weight</c> or <c>embeddings.weight</c>; for an ARPG transformer:
    /// every weight matrix of a GEMM) to q8_0, written as the pair <c>NAME</c> (I8) and
    /// <c>NAME.q8_scale</c> (F32), and keeps the other tensors as stored. <paramref name="key"/>
    /// picks the state dict of a .pt file (as <see cref="StateDict.Open(string, string?)"/>: null
    /// for the official loader's choice). Returns what was written.
    /// </summary>
    public static IReadOnlyList<TensorInfo> ToSafeTensors(string inputPath, string outputPath, DType? floatType, string? key = null)
    {
        if (floatType is not (null or DType.Float32 or DType.Float16 or DType.Int8))
            throw new ArgumentException($"converting to {floatType} is not supported; use float32, float16 or int8", nameof(floatType));
        using StateDict input = StateDict.Open(inputPath, key);
        var outputs = input.Names.SelectMany(name => Outputs(input, name, floatType)).ToList();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["source"] = System.IO.Path.GetFileName(inputPath) };
        // a matrix's scales are written right after its values: quantise once for both
        (string Name, Q8Matrix Matrix)? quantized = null;
        Q8Matrix Quantize(string name)
        {
            if (quantized?.Name != name)
            {
                TensorInfo info = input.Info(name);
                float[] values = input.ReadFloat32(name);
                FiniteWeights.Require(values, name, input.Path);
                quantized = (name, Q8Matrix.Quantize(values, info.Shape[0], info.Shape[1]));
            }
            return quantized.Value.Matrix;
        }
        SafeTensorsWriter.Write(outputPath, outputs, output =>
        {
            if (!input.Contains(output.Name))
                return Encode(Quantize(output.Name[..^Q8Checkpoint.ScaleSuffix.Length]).Scales, DType.Float32);
            if (output.DType == DType.Int8 && input.Info(output.Name).DType != DType.Int8)
                return MemoryMarshal.AsBytes(Quantize(output.Name).Values.AsSpan()).ToArray();
            return output.DType == input.Info(output.Name).DType
                ? input.ReadRawBytes(output.Name)
                : Encode(input.ReadFloat32(output.Name), output.DType);
        }, metadata);
        return outputs;
    }

    /// <summary>What one input tensor becomes: itself in its output dtype, or a q8_0 pair.</summary>
    private static IEnumerable<TensorInfo> Outputs(StateDict input, string name, DType? floatType)
    {
        TensorInfo info = input.Info(name);
        if (!info.DType.IsFloatingPoint() || floatType is null || IsQ8Scale(input, name))
            return [info];
        if (floatType != DType.Int8)
            return [info with { DType = floatType.Value }];
        if (info.Shape.Length != 2 || name.EndsWith("embedding.weight", StringComparison.Ordinal)
                                   || name.EndsWith("embeddings.weight", StringComparison.Ordinal))
            return [info];
        return [info with { DType = DType.Int8 },
            new TensorInfo(name + Q8Checkpoint.ScaleSuffix, DType.Float32, [info.Shape[0], Q8Matrix.BlocksOf(info.Shape[1])])];
    }

    private static bool IsQ8Scale(StateDict input, string name) =>
        name.EndsWith(Q8Checkpoint.ScaleSuffix, StringComparison.Ordinal) && input.Contains(name[..^Q8Checkpoint.ScaleSuffix.Length]);

    // float32 -> little-endian bytes of Float32 or Float16 (the cast to Half rounds to nearest even).
    private static byte[] Encode(float[] values, DType dtype)
    {
        var bytes = new byte[values.Length * dtype.SizeOf()];
        if (dtype == DType.Float16)
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        else
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
