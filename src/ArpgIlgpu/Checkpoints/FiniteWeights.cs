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
    /// <summary><paramref name="weights"/>' float32 reader, each tensor checked.</summary>
    public static Func<string, float[]> Reader(StateDict weights) => name => Require(weights.ReadFloat32(name), name, weights.Path);

    /// <summary>Returns <paramref name="values"/>, or throws naming the tensor when one is NaN or infinite.</summary>
    public static float[] Require(float[] values, string tensor, string file)
    {
        long first = FirstNonFinite(values);
        if (first >= 0)
            throw new CheckpointFormatException(file,
                $"tensor '{tensor}' holds {Describe(values[first])} at element {first} (of {values.Length}); the weights are damaged");
        return values;
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
