using ArpgIlgpu.Kernels;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The random generation order of ARPG, drawn from the seed: a Fisher-Yates shuffle of the grid
/// positions with Philox uniforms (stream <see cref="OrderStream"/>, counter i for swap i). The
/// official code draws its order with torch.rand(L).argsort(), which no other program can
/// reproduce; ours depends on the seed alone, so a seed names the same order on every backend
/// and for every batch.
/// </summary>
public static class RandomOrder
{
    /// <summary>Philox counter word 3 for generation orders (token draws use <see cref="Philox.TokenStream"/>).</summary>
    public const uint OrderStream = 1;

    /// <summary>Philox counter word 3 for the order in which known tokens are pre-filled.</summary>
    public const uint PrefillStream = 2;

    /// <summary>A uniformly random permutation of 0..length-1 for a seed and stream.</summary>
    public static int[] Draw(int length, ulong seed, uint stream = OrderStream)
    {
        int[] order = Enumerable.Range(0, length).ToArray();
        for (int i = length - 1; i > 0; i--)
        {
            // 24-bit uniforms: the bias of floor(u (i+1)) is below 2^-24 * L, negligible for L <= 4096
            int j = Math.Min(i, (int)(Philox.Uniform(seed, (uint)i, 0, 0, stream) * (i + 1)));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// One order per image for scoring: image i of <paramref name="images"/> is read in the order of
    /// seed <paramref name="seed"/> + i (so a file scored in batches gets the orders it gets in one).
    /// </summary>
    public static int[][] PerImage(int length, int images, ulong seed) =>
        Enumerable.Range(0, images).Select(i => Draw(length, seed + (ulong)i)).ToArray();
}
