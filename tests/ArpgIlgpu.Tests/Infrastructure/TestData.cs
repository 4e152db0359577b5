using Xunit;

namespace ArpgIlgpu.Tests;

/// <summary>Random inputs and float comparisons with stated tolerances.</summary>
public static class TestData
{
    /// <summary>n samples of a standard normal distribution (Box-Muller), reproducible from the Random.</summary>
    public static float[] Normal(Random rng, int n, float scale = 1f)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    /// <summary>
    /// Asserts |actual - expected| &lt;= atol + rtol |expected| everywhere, reporting the worst
    /// element (index, both values) when it fails.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float rtol, float atol,
        string what = "values")
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double excess = Math.Abs(actual[i] - expected[i]) - (atol + rtol * Math.Abs(expected[i]));
            if (excess > worstExcess || double.IsNaN(actual[i]) != double.IsNaN(expected[i]))
            {
                worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
                worst = i;
            }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: element {worst} is {actual[worst]}, expected {expected[worst]} " +
                        $"(tolerance {atol} + {rtol}*|expected|)");
    }
}
