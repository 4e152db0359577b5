namespace ArpgIlgpu.Kernels;

/// <summary>Six values: one line (a row or a column) of a 6 x 6 tile in the Winograd domain.</summary>
internal readonly struct Line6(float v0, float v1, float v2, float v3, float v4, float v5)
{
    public readonly float V0 = v0, V1 = v1, V2 = v2, V3 = v3, V4 = v4, V5 = v5;
}

/// <summary>Four values: one line of a 4 x 4 output tile.</summary>
internal readonly struct Line4(float v0, float v1, float v2, float v3)
{
    public readonly float V0 = v0, V1 = v1, V2 = v2, V3 = v3;
}

/// <summary>
/// The 1-D transforms of Winograd's F(4, 3) (Lavin and Gray, "Fast Algorithms for Convolutional
/// Neural Networks", 2016): 4 outputs of a 3-tap correlation y[i] = sum_a d[i + a] g[a] from 6
/// inputs with 6 multiplications instead of 12,
///   y = A^T [(G g) .* (B^T d)],
/// and in 2-D, for a 4 x 4 output tile from a 6 x 6 input tile,
///   Y = A^T [(G g G^T) .* (B^T d B)] A,
/// each 2-D transform being its 1-D one applied to every row, then to every column. The
/// matrices (chosen with the interpolation points 0, 1, -1, 2, -2 and infinity):
///   B^T = [4  0 -5  0  1  0]   G = [ 1/4     0     0]   A^T = [1  1  1  1  1  0]
///         [0 -4 -4  1  1  0]       [-1/6  -1/6  -1/6]         [0  1 -1  2 -2  0]
///         [0  4 -4 -1  1  0]       [-1/6   1/6  -1/6]         [0  1  1  4  4  0]
///         [0 -2 -1  2  1  0]       [1/24  1/12   1/6]         [0  1 -1  8 -8  1]
///         [0  2 -1 -2  1  0]       [1/24 -1/12   1/6]
///         [0  4  0 -5  0  1]       [   0     0     1]
/// </summary>
internal static class WinogradLines
{
    /// <summary>B^T d: one line of an input tile into the Winograd domain.</summary>
    public static Line6 Input(float d0, float d1, float d2, float d3, float d4, float d5) => new(
        4f * d0 - 5f * d2 + d4,
        d3 + d4 - 4f * (d1 + d2),
        d4 - d3 + 4f * (d1 - d2),
        d4 - d2 + 2f * (d3 - d1),
        d4 - d2 - 2f * (d3 - d1),
        4f * d1 - 5f * d3 + d5);

    /// <summary>G g: one line of a 3 x 3 filter into the Winograd domain.</summary>
    public static Line6 Filter(float g0, float g1, float g2) => new(
        g0 * 0.25f,
        (g0 + g1 + g2) * (-1f / 6f),
        (g0 - g1 + g2) * (-1f / 6f),
        g0 * (1f / 24f) + g1 * (1f / 12f) + g2 * (1f / 6f),
        g0 * (1f / 24f) - g1 * (1f / 12f) + g2 * (1f / 6f),
        g2);

    /// <summary>A^T m: one line of a Winograd-domain product back to 4 outputs.</summary>
    public static Line4 Output(float m0, float m1, float m2, float m3, float m4, float m5) => new(
        m0 + m1 + m2 + m3 + m4,
        m1 - m2 + 2f * (m3 - m4),
        m1 + m2 + 4f * (m3 + m4),
        m1 - m2 + 8f * (m3 - m4) + m5);
}
