using System.Runtime.InteropServices;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// q8_0 weight matrices in a checkpoint (as the command line's convert writes them for int8): a matrix
/// <c>NAME</c> [N, K] is stored as <c>NAME</c>, I8 [N, K] (the values q), and
/// <c>NAME.q8_scale</c>, F32 [N, ceil(K / 32)] (one scale per row per block of 32 columns, the
/// last block of a row short when K is not a multiple of 32), w[n, k] = q[n, k] * scale[n, k / 32]
/// (<see cref="Q8Matrix"/>). Reading checks the pair: both present, the values int8 and 2-D, the
/// scales float32 of the matching shape, finite and not negative; anything else is a
/// <see cref="CheckpointFormatException"/> naming the tensor.
/// </summary>
public static class Q8Checkpoint
{
    /// <summary>What a matrix's name is followed by to name its scales.</summary>
    public const string ScaleSuffix = ".q8_scale";

    /// <summary>True when <paramref name="name"/> is stored as q8_0 (int8 values, or a scale tensor beside it).</summary>
    public static bool IsQuantized(StateDict weights, string name) =>
        weights.Info(name).DType == DType.Int8 || weights.Contains(name + ScaleSuffix);

    /// <summary>True when <paramref name="name"/> is the scale tensor of one of <paramref name="matrices"/>.</summary>
    public static bool IsScaleOf(string name, IReadOnlyDictionary<string, int[]> matrices) =>
        name.EndsWith(ScaleSuffix, StringComparison.Ordinal) && matrices.ContainsKey(name[..^ScaleSuffix.Length]);

    /// <summary>
    /// The tensor as float32 into <paramref name="values"/> (exactly its elements): a q8_0 pair
    /// dequantised (its scales checked finite), any other floating-point tensor as
    /// <see cref="StateDict.ReadFloat32(string, Span{float})"/> reads it, checked finite.
    /// </summary>
    public static void ReadFloat32(StateDict weights, string name, Span<float> values)
    {
        if (IsQuantized(weights, name))
            Read(weights, name).DequantizeInto(values);
        else
            FiniteWeights.Read(weights, name, values);
    }

    /// <summary>The q8_0 pair of <paramref name="name"/>, checked.</summary>
    public static Q8Matrix Read(StateDict weights, string name)
    {
        string scaleName = name + ScaleSuffix;
        TensorInfo values = weights.Info(name);
        if (values.DType != DType.Int8)
            throw Error(weights, $"tensor '{scaleName}' is the q8_0 scale of '{name}', which is {values.DType.TorchName()}, not int8");
        if (values.Shape.Length != 2)
            throw Error(weights, $"int8 tensor '{name}' has shape {TensorInfo.FormatShape(values.Shape)}; q8_0 matrices are 2-D");
        if (!weights.Contains(scaleName))
            throw Error(weights, $"int8 tensor '{name}' has no scale tensor '{scaleName}' (q8_0 needs one float32 scale per row per 32 columns)");
        TensorInfo scales = weights.Info(scaleName);
        int rows = values.Shape[0], columns = values.Shape[1];
        int[] expected = [rows, Q8Matrix.BlocksOf(columns)];
        if (scales.DType != DType.Float32)
            throw Error(weights, $"q8_0 scale tensor '{scaleName}' is {scales.DType.TorchName()}, not float32");
        if (!scales.Shape.AsSpan().SequenceEqual(expected))
            throw Error(weights, $"q8_0 scale tensor '{scaleName}' has shape {TensorInfo.FormatShape(scales.Shape)}, " +
                                 $"expected {TensorInfo.FormatShape(expected)} for '{name}' {TensorInfo.FormatShape(values.Shape)}");
        float[] scale = weights.ReadFloat32(scaleName);
        int bad = Array.FindIndex(scale, s => !float.IsFinite(s) || s < 0);
        if (bad >= 0)
            throw Error(weights, $"q8_0 scale tensor '{scaleName}' holds {scale[bad]} at element {bad} (of {scale.Length}); scales are finite and not negative");
        sbyte[] q = MemoryMarshal.Cast<byte, sbyte>(weights.ReadRawBytes(name)).ToArray();
        return new Q8Matrix(rows, columns, q, scale);
    }

    private static CheckpointFormatException Error(StateDict weights, string problem) => new(weights.Path, problem);
}
