using System.Numerics;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Refuses a checkpoint whose weights hold NaN or infinity, naming the file and the tensor: such
/// a model runs to the end and writes nonsense (every token 0 from a NaN transformer, every
/// token the last from an infinite head, black pictures from a NaN tokenizer) with exit code 0.
/// Each tensor is checked once, on the host, right after it is read and converted to float32
/// (so float16 and bfloat16 infinities are caught too) and before it is uploaded: one more pass
/// over memory the conversion has just touched, vectorised, small next to the read itself.
/// </summary>
internal static class FiniteWeights
{
    /// <summary>Decodes a tensor of <paramref name="weights"/> into <paramref name="values"/> and checks it.</summary>
    public static void Read(StateDict weights, string name, Span<float> values)
    {
        weights.ReadFloat32(name, values);
        Require(values, name, weights.Path);
    }

    /// <summary>Throws naming the tensor when one of <paramref name="values"/> is NaN or infinite.</summary>
    public static void Require(ReadOnlySpan<float> values, string tensor, string file)
    {
        long first = FirstNonFinite(values);
        if (first >= 0)
            throw new CheckpointFormatException(file,
                $"tensor '{tensor}' holds {Describe(values[(int)first])} at element {first} (of {values.Length}); the weights are damaged");
    }

    /// <summary>The index of the first NaN or infinity, or -1. x - x is 0 for every finite x and NaN otherwise.</summary>
    internal static long FirstNonFinite(ReadOnlySpan<float> values)
    {
        // whole vectors while they are all finite; the scalar loop finds the culprit in the one that is not
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= values.Length; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values[i..]);
                if (!Vector.EqualsAll(v - v, Vector<float>.Zero))
                    break;
            }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                return i;
        return -1;
    }

    private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
}
