using ILGPU;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// IEEE 754 binary16 ("half") conversions written with integer operations, so that fp16 storage
/// works on every backend: PoCL and many OpenCL devices lack cl_khr_fp16, and ILGPU refuses
/// ILGPU.Half there. Values are stored as their 16 bits in a ushort; arithmetic stays float32.
/// Both directions are exact where the format allows and round to nearest, ties to even,
/// like System.Half (the tests check every half value and the rounding boundaries).
/// </summary>
public static class Float16
{
    /// <summary>
    /// The float32 value of half bits h (every half is exactly representable). Branch-free, so
    /// that a loop of conversions stays vector code on PoCL (with branches the float16 GEMM ran
    /// 6x slower than the float32 one there): the half's exponent and mantissa are moved to their
    /// float32 places and multiplied by 2^112 = 2^(127 - 15), which rebiases the exponent; a
    /// subnormal half becomes a float32 subnormal there, which the exact multiplication makes
    /// normal. Infinity and NaN (exponent 31) would land at 2^16 or above: they get float32's
    /// all-ones exponent instead, mantissa kept.
    /// </summary>
    public static float ToFloat(ushort h)
    {
        uint shifted = (uint)(h & 0x7FFF) << 13;
        float magnitude = Interop.IntAsFloat(shifted) * 5.192296858534828e33f; // 2^112
        uint bits = shifted >= 0x7C00u << 13 ? shifted | 0x7F800000u : Interop.FloatAsInt(magnitude);
        return Interop.IntAsFloat(bits | (uint)(h & 0x8000) << 16);
    }

    /// <summary>
    /// The float32 value of half bits h for every finite half, in three operations (against six
    /// for <see cref="ToFloat"/>): the sign-extended bits shifted by 13 put the sign at bit 31,
    /// the exponent and mantissa at their float32 places and copies of the sign in bits 28 - 30,
    /// which the mask clears; the multiplication by 2^112 rebiases the exponent and makes a
    /// subnormal half normal, as in <see cref="ToFloat"/>. What it gives up: infinity reads as
    /// +-65536 and NaN as a finite value in +-(65536 .. 131072) instead of infinity and NaN.
    /// </summary>
    public static float ToFloatFinite(ushort h)
    {
        uint bits = (uint)((short)h << 13) & 0x8FFFE000u;
        return Interop.IntAsFloat(bits) * 5.192296858534828e33f; // 2^112
    }

    /// <summary>The half bits nearest to f (ties to even); overflow gives infinity, NaN stays NaN.</summary>
    public static ushort FromFloat(float f)
    {
        uint x = Interop.FloatAsInt(f);
        uint sign = (x >> 16) & 0x8000;
        uint magnitude = x & 0x7FFFFFFF;
        if (magnitude > 0x7F800000) // NaN: a quiet NaN
            return (ushort)(sign | 0x7E00);
        if (magnitude >= 0x477FF000) // >= 65520 rounds past the largest half (65504): infinity
            return (ushort)(sign | 0x7C00);
        if (magnitude >= 0x38800000) // >= 2^-14: a normal half
        {
            uint rebiased = magnitude - (112u << 23); // exponent 127 -> 15
            uint half = rebiased >> 13, rest = rebiased & 0x1FFF;
            if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0))
                half++; // may carry into the exponent, which is the correct rounding
            return (ushort)(sign | half);
        }
        if (magnitude < 0x33000000) // < 2^-25: rounds to zero
            return (ushort)sign;
        // subnormal half: the float's mantissa with its implicit 1, shifted to units of 2^-24
        uint exponent = magnitude >> 23;
        uint mantissa = (magnitude & 0x7FFFFF) | 0x800000;
        int shift = 126 - (int)exponent; // 14..24 for exponents 112..102
        uint value = mantissa >> shift, remainder = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (value & 1) != 0))
            value++;
        return (ushort)(sign | value);
    }
}

/// <summary>How a kernel reads and writes elements of type <typeparamref name="T"/> as float32.</summary>
/// <typeparam name="T">The stored element type.</typeparam>
public interface IStorage<T> where T : unmanaged
{
    /// <summary>v[i] as a float.</summary>
    float Load(ArrayView<T> v, long i);

    /// <summary>v[i] with a 32-bit index (a row view's offset): 32-bit address math in hot loops.</summary>
    float Load32(ArrayView<T> v, int i);

    /// <summary>v[i] = value, converted to the storage type.</summary>
    void Store(ArrayView<T> v, long i, float value);
}

/// <summary>float32 storage: loads and stores as they are.</summary>
public struct Fp32Storage : IStorage<float>
{
    /// <inheritdoc />
    public readonly float Load(ArrayView<float> v, long i) => v[i];

    /// <inheritdoc />
    public readonly float Load32(ArrayView<float> v, int i) => v[i];

    /// <inheritdoc />
    public readonly void Store(ArrayView<float> v, long i, float value) => v[i] = value;
}

/// <summary>float16 storage as ushort bits, converted by <see cref="Float16"/>.</summary>
public struct Fp16Storage : IStorage<ushort>
{
    /// <inheritdoc />
    public readonly float Load(ArrayView<ushort> v, long i) => Float16.ToFloat(v[i]);

    /// <inheritdoc />
    public readonly float Load32(ArrayView<ushort> v, int i) => Float16.ToFloat(v[i]);

    /// <inheritdoc />
    public readonly void Store(ArrayView<ushort> v, long i, float value) => v[i] = Float16.FromFloat(value);
}

/// <summary>
/// float16 storage of values known to be finite (weights, refused at upload when a value is
/// not), read with <see cref="Float16.ToFloatFinite"/>: three operations instead of six.
/// </summary>
public struct FiniteFp16Storage : IStorage<ushort>
{
    /// <inheritdoc />
    public readonly float Load(ArrayView<ushort> v, long i) => Float16.ToFloatFinite(v[i]);

    /// <inheritdoc />
    public readonly float Load32(ArrayView<ushort> v, int i) => Float16.ToFloatFinite(v[i]);

    /// <inheritdoc />
    public readonly void Store(ArrayView<ushort> v, long i, float value) => v[i] = Float16.FromFloat(value);
}
