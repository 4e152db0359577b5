namespace ArpgIlgpu.Models;

/// <summary>Normal samples (Box-Muller) for randomly initialised models.</summary>
internal static class RandomNormal
{
    /// <summary>Fills <paramref name="data"/> with N(0, std^2) samples drawn from <paramref name="rng"/>.</summary>
    public static void Fill(Random rng, Span<float> data, float std)
    {
        for (int i = 0; i < data.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            data[i] = std * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }
}
