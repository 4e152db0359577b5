using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// ARPG's 2-D rotary position embedding. A head of size D is D/2 adjacent pairs (x[2i], x[2i+1]);
/// the first D/4 pairs rotate by the token's grid row, the last D/4 by its column, pair j of each
/// half with frequency base^(-2j/(D/2)). Table slot 0 belongs to the class token and is all zeros
/// (cos = sin = 0, so the rotation zeroes the class token's q and k, exactly as the official
/// code does); grid position p = row * g + col uses slot 1 + p.
/// </summary>
public sealed class RotaryTable
{
    private RotaryTable(float[] cos, float[] sin, int slots, int pairs)
    {
        Cos = cos;
        Sin = sin;
        Slots = slots;
        Pairs = pairs;
    }

    /// <summary>cos of each (slot, pair): [Slots, Pairs].</summary>
    public float[] Cos { get; }

    /// <summary>sin of each (slot, pair): [Slots, Pairs].</summary>
    public float[] Sin { get; }

    /// <summary>1 + g*g: the class slot, then every grid position.</summary>
    public int Slots { get; }

    /// <summary>HeadDim / 2 rotated pairs per head.</summary>
    public int Pairs { get; }

    /// <summary>
    /// Builds the table for a g x g grid, computing in float32 as the reference does
    /// (<c>precompute_freqs_cis_2d</c>), so angles agree to float32 rounding.
    /// </summary>
    public static RotaryTable Create(int gridSize, int headDim, float ropeBase)
    {
        if (headDim % 4 != 0)
            throw new InvalidInputException($"head_dim {headDim}: the 2-D RoPE needs a multiple of 4");
        int half = headDim / 2, quarter = headDim / 4;
        var freqs = new float[quarter];
        for (int j = 0; j < quarter; j++)
            freqs[j] = 1f / MathF.Pow(ropeBase, (2 * j) / (float)half);
        int slots = 1 + gridSize * gridSize;
        var cos = new float[slots * half];
        var sin = new float[slots * half];
        for (int row = 0; row < gridSize; row++)
        for (int col = 0; col < gridSize; col++)
        {
            int slot = 1 + row * gridSize + col;
            for (int j = 0; j < half; j++)
            {
                float angle = j < quarter ? row * freqs[j] : col * freqs[j - quarter];
                cos[slot * half + j] = MathF.Cos(angle);
                sin[slot * half + j] = MathF.Sin(angle);
            }
        }
        return new RotaryTable(cos, sin, slots, half);
    }
}

/// <summary>Rotary embedding kernels.</summary>
internal static class RopeKernels
{
    /// <summary>
    /// One thread per (row r, head h, pair i):
    ///   (x0, x1) = x[r * xStride + (h, 2i .. 2i+1)], (c, s) = table[slots[r mod period], i]
    ///   y[r * yStride + (h, 2i)] = x0 c - x1 s;  y[r * yStride + (h, 2i+1)] = x1 c + x0 s.
    /// x: rows of heads * 2 * pairs values, xStride apart (the queries of a fused q|k|v
    /// projection are the first third of its rows); y: likewise, yStride apart; y may be x
    /// (each thread reads its pair before writing it). slots: [period]; cos, sin: [tableSlots, pairs].
    /// period = rows gives every row its own slot (scoring: each image its own order);
    /// period = n with rows = B*n shares n slots across the batch (generation: one order).
    /// </summary>
    [Kernel]
    public static void Rotate(Index1D index, ArrayView<float> x, int xStride, ArrayView<float> y, int yStride,
        ArrayView<int> slots, ArrayView<float> cos, ArrayView<float> sin, int heads, int pairs, int period, ThreadRuns runs)
    {
        int rowPairs = heads * pairs;
        for (int idx = runs.First(index); idx < runs.End(index); idx++)
        {
            int r = idx / rowPairs, column = 2 * (idx % rowPairs);
            long from = (long)r * xStride + column, to = (long)r * yStride + column;
            long t = (long)slots[r % period] * pairs + idx % pairs;
            float c = cos[t], s = sin[t];
            float x0 = x[from], x1 = x[from + 1];
            y[to] = RotatedFirst(x0, x1, c, s);
            y[to + 1] = RotatedSecond(x0, x1, c, s);
        }
    }

    /// <summary>The first element of the pair (x0, x1) rotated by the angle with cosine c and sine s.</summary>
    public static float RotatedFirst(float x0, float x1, float c, float s) => x0 * c - x1 * s;

    /// <summary>The second element of the pair (x0, x1) rotated by the angle with cosine c and sine s.</summary>
    public static float RotatedSecond(float x0, float x1, float c, float s) => x1 * c + x0 * s;
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, int, ArrayView<float>, int, ArrayView<int>, ArrayView<float>, ArrayView<float>,
        int, int, int, ThreadRuns>? ropeRotate;

    /// <summary>
    /// Rotates every head of every row of x in place by its table slot: row r uses
    /// slots[r mod period]. x: [rows, heads * 2 * pairs]; slots: [period] (0 = class token,
    /// 1 + p = grid position p); cos, sin: the device copies of a <see cref="RotaryTable"/>.
    /// </summary>
    public void Rope(ArrayView<float> x, ArrayView<int> slots, ArrayView<float> cos, ArrayView<float> sin,
        int rows, int heads, int pairs, int period) =>
        Rope(x, heads * pairs * 2, x, heads * pairs * 2, slots, cos, sin, rows, heads, pairs, period);

    /// <summary>
    /// As the in-place form, reading rows <paramref name="xStride"/> apart (the queries of a fused
    /// q|k|v projection: xStride = 3 * width) and writing the rotated rows <paramref name="yStride"/> apart into y.
    /// </summary>
    public void Rope(ArrayView<float> x, int xStride, ArrayView<float> y, int yStride, ArrayView<int> slots,
        ArrayView<float> cos, ArrayView<float> sin, int rows, int heads, int pairs, int period)
    {
        int width = heads * pairs * 2;
        if (rows == 0)
            return;
        if (xStride < width || yStride < width)
            throw new ArgumentException($"Rope: row strides {xStride} and {yStride} are shorter than a row of {width}");
        Require(x, (long)(rows - 1) * xStride + width, "Rope x");
        Require(y, (long)(rows - 1) * yStride + width, "Rope y");
        Require(slots, period, "Rope slots");
        if (period <= 0 || rows % period != 0)
            throw new ArgumentException($"Rope: {rows} rows are not a whole number of periods of {period}");
        ropeRotate ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, int, ArrayView<float>, int,
            ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, ThreadRuns>(RopeKernels.Rotate, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)rows * heads * pairs);
        ropeRotate(runs.Threads, x, xStride, y, yStride, slots, cos, sin, heads, pairs, period, runs);
    }
}
