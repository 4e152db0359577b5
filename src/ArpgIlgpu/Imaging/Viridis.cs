namespace ArpgIlgpu.Imaging;

/// <summary>
/// The viridis colour scale (matplotlib's default): perceptually uniform, readable in grey and
/// by colour-blind readers, dark purple at 0 through teal to yellow at 1. Nine anchors of the
/// published table, linearly interpolated.
/// </summary>
public static class Viridis
{
    private static readonly Rgb[] Anchors =
    [
        new(68, 1, 84), new(71, 44, 122), new(59, 81, 139), new(44, 113, 142), new(33, 145, 140),
        new(39, 173, 129), new(92, 200, 99), new(170, 220, 50), new(253, 231, 37),
    ];

    /// <summary>The colour at <paramref name="t"/> in [0, 1] (clamped; NaN reads as 0).</summary>
    public static Rgb At(float t)
    {
        float x = float.IsNaN(t) ? 0f : Math.Clamp(t, 0f, 1f) * (Anchors.Length - 1);
        int i = Math.Min((int)x, Anchors.Length - 2);
        return Rgb.Mix(Anchors[i], Anchors[i + 1], x - i);
    }
}
