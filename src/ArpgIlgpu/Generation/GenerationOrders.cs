namespace ArpgIlgpu.Generation;

/// <summary>
/// Generation orders: permutations of the g*g grid positions (row * g + col), the first generated
/// first. ARPG was trained on random orders, so any order works; the paper compares a few fixed
/// ones (its Table 7). Every order runs through the same decoding loop.
/// </summary>
public static class GenerationOrders
{
    /// <summary>The orders known by name (besides a list of grid positions).</summary>
    public static readonly string[] Names = ["random", "raster", "spiral-in", "spiral-out", "z-curve", "alternate"];

    /// <summary>A fixed order by name (not "random", which needs a seed: see <see cref="Random"/>).</summary>
    public static int[] Fixed(string name, int gridSize) => name switch
    {
        "raster" => Raster(gridSize),
        "spiral-in" => SpiralIn(gridSize),
        "spiral-out" => SpiralIn(gridSize).Reverse().ToArray(),
        "z-curve" => ZCurve(gridSize),
        "alternate" => Alternate(gridSize),
        _ => throw new InvalidParameterException(nameof(GenerationOptions.Order), $"'{name}'",
            $"expected one of {string.Join(", ", Names)}, or a JSON file of grid positions"),
    };

    /// <summary>Row by row, left to right.</summary>
    public static int[] Raster(int g) => Enumerable.Range(0, g * g).ToArray();

    /// <summary>Clockwise from the top-left corner, ring by ring, ending at the centre.</summary>
    public static int[] SpiralIn(int g)
    {
        var order = new List<int>(g * g);
        int top = 0, bottom = g - 1, left = 0, right = g - 1;
        while (top <= bottom && left <= right)
        {
            for (int c = left; c <= right; c++) order.Add(top * g + c);
            for (int r = top + 1; r <= bottom; r++) order.Add(r * g + right);
            if (top < bottom)
                for (int c = right - 1; c >= left; c--) order.Add(bottom * g + c);
            if (left < right)
                for (int r = bottom - 1; r > top; r--) order.Add(r * g + left);
            top++; bottom--; left++; right--;
        }
        return order.ToArray();
    }

    /// <summary>
    /// Morton (Z) order: positions sorted by the interleaved bits of (row, col), column bit
    /// lowest, so 2x2 blocks fill first, then 4x4 blocks, and so on. Defined for any g.
    /// </summary>
    public static int[] ZCurve(int g) =>
        Enumerable.Range(0, g * g).OrderBy(p => Interleave(p / g, p % g)).ToArray();

    /// <summary>
    /// A checkerboard: first every cell with (row + col) even, then every odd cell, each in raster
    /// order, so the second half is generated with all four neighbours known. (The paper names
    /// this order without defining it; this is our reading, stated in the README.)
    /// </summary>
    public static int[] Alternate(int g) =>
        Enumerable.Range(0, g * g).Where(p => (p / g + p % g) % 2 == 0)
            .Concat(Enumerable.Range(0, g * g).Where(p => (p / g + p % g) % 2 == 1)).ToArray();

    /// <summary>Throws <see cref="InvalidInputException"/> unless order is a permutation of 0..length-1.</summary>
    public static void RequirePermutation(IReadOnlyList<int> order, int length, string parameter)
    {
        if (order.Count != length)
            throw new InvalidParameterException(parameter, null, $"an order has {order.Count} positions, expected {length}");
        var seen = new bool[length];
        foreach (int p in order)
        {
            if (p < 0 || p >= length)
                throw new InvalidParameterException(parameter, null, $"position {p} is outside 0..{length - 1}");
            if (seen[p])
                throw new InvalidParameterException(parameter, null,
                    $"position {p} appears twice; an order must be a permutation of 0..{length - 1}");
            seen[p] = true;
        }
    }

    private static long Interleave(int row, int col)
    {
        long code = 0;
        for (int bit = 0; bit < 16; bit++)
        {
            code |= (long)((col >> bit) & 1) << (2 * bit);
            code |= (long)((row >> bit) & 1) << (2 * bit + 1);
        }
        return code;
    }
}
