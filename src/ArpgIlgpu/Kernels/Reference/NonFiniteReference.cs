namespace ArpgIlgpu.Kernels.Reference;

/// <summary>The reference of Kernels/NonFinite.cs.</summary>
public static class NonFiniteReference
{
    /// <summary>Whether any of <paramref name="x"/> is NaN or infinite (the flag the kernel sets).</summary>
    public static bool AnyNonFinite(float[] x) => Array.Exists(x, v => !double.IsFinite(v));
}
