namespace ArpgIlgpu.Kernels;

/// <summary>Four 32-bit words: a Philox counter or one block of its output.</summary>
public readonly struct PhiloxBlock
{
    /// <summary>Word 0.</summary>
    public readonly uint X0;
    /// <summary>Word 1.</summary>
    public readonly uint X1;
    /// <summary>Word 2.</summary>
    public readonly uint X2;
    /// <summary>Word 3.</summary>
    public readonly uint X3;

    /// <summary>Creates a block from its four words.</summary>
    public PhiloxBlock(uint x0, uint x1, uint x2, uint x3)
    {
        X0 = x0;
        X1 = x1;
        X2 = x2;
        X3 = x3;
    }
}

/// <summary>
/// Philox-4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy
/// as 1, 2, 3" (SC 2011), as Random123, cuRAND and JAX implement it: output = a 10-round keyed
/// bijection of a 128-bit counter. There is no state to carry, so a draw is named by (seed,
/// counter) alone and every backend, batch size and thread order gives the same numbers. The same
/// static methods run on the host and inside kernels.
/// <para>
/// Counter layout used by this library: (image index in the user's request, decoding step, grid
/// position, stream). Token sampling uses stream <see cref="TokenStream"/>; anything else drawn
/// from the seed (e.g. random generation orders) must use another stream value so its numbers
/// never coincide with the token draws.
/// </para>
/// </summary>
public static class Philox
{
    /// <summary>Counter word 3 of every token-sampling draw.</summary>
    public const uint TokenStream = 0;

    // Round multipliers and Weyl key increments (golden ratio and sqrt(3) - 1), from the paper.
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>
    /// The 10-round Philox-4x32 bijection of <paramref name="counter"/> under the 64-bit key
    /// (key0, key1): round, then (key += W; round) nine times.
    /// </summary>
    public static PhiloxBlock Generate(PhiloxBlock counter, uint key0, uint key1)
    {
        PhiloxBlock x = Round(counter, key0, key1);
        for (int r = 1; r < 10; r++)
        {
            key0 = unchecked(key0 + W0);
            key1 = unchecked(key1 + W1);
            x = Round(x, key0, key1);
        }
        return x;
    }

    /// <summary>One block for a 64-bit seed (key0 = low word, key1 = high word) and a counter.</summary>
    public static PhiloxBlock Generate(ulong seed, uint c0, uint c1, uint c2, uint c3) =>
        Generate(new PhiloxBlock(c0, c1, c2, c3), (uint)seed, (uint)(seed >> 32));

    /// <summary>
    /// A uniform float in [0, 1) from the first output word of the block named by (seed, counter):
    /// its top 24 bits times 2^-24, so every value is exact and 1 is never returned.
    /// </summary>
    public static float Uniform(ulong seed, uint c0, uint c1, uint c2, uint c3) =>
        ToUniform(Generate(seed, c0, c1, c2, c3).X0);

    /// <summary>
    /// bits / 2^32 rounded down to 24 bits: a float in [0, 1) with every value exact. The 24 bits
    /// go through int: ILGPU converts a uint to float through double, which GPUs without fp64 lack.
    /// </summary>
    public static float ToUniform(uint bits) => (int)(bits >> 8) * (1f / 16777216f);

    /// <summary>
    /// One round: two 32x32 -> 64-bit products of words 0 and 2; the high halves are mixed with
    /// words 1 and 3 and the key, the low halves move across.
    /// </summary>
    private static PhiloxBlock Round(PhiloxBlock x, uint key0, uint key1)
    {
        ulong p0 = (ulong)M0 * x.X0;
        ulong p1 = (ulong)M1 * x.X2;
        return new PhiloxBlock(
            (uint)(p1 >> 32) ^ x.X1 ^ key0, (uint)p1,
            (uint)(p0 >> 32) ^ x.X3 ^ key1, (uint)p0);
    }
}
