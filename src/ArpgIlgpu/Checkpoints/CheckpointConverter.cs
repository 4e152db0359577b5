using System.Buffers.Binary;

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
    /// and bool tensors are always written as stored. Returns what was written.
    /// </summary>
    public static IReadOnlyList<TensorInfo> ToSafeTensors(string inputPath, string outputPath, DType? floatType)
    {
        if (floatType is not (null or DType.Float32 or DType.Float16))
            throw new ArgumentException($"converting to {floatType} is not supported; use float32 or float16", nameof(floatType));
        using StateDict input = StateDict.Open(inputPath);
        var outputs = input.Names.Select(name =>
        {
            TensorInfo info = input.Info(name);
            return floatType is { } type && info.DType.IsFloatingPoint() ? info with { DType = type } : info;
        }).ToList();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["source"] = System.IO.Path.GetFileName(inputPath) };
        SafeTensorsWriter.Write(outputPath, outputs, output => output.DType == input.Info(output.Name).DType
            ? input.ReadRawBytes(output.Name)
            : Encode(input.ReadFloat32(output.Name), output.DType), metadata);
        return outputs;
    }

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
