namespace ArpgIlgpu.Runtime;

/// <summary>
/// A weight matrix [Rows, Columns] in llama.cpp's q8_0 layout, on the host: each row is cut into
/// blocks of <see cref="BlockSize"/> columns (the last block of a row is short when Columns is not
/// a multiple of 32), and each block stores one float32 scale and one int8 per element:
///   scale[n, b] = max |w[n, k]| / 127 over the block's k,   q[n, k] = round(w[n, k] / scale[n, b])
/// (round half away from zero, as llama.cpp's roundf; an all-zero block has scale 0 and q 0), so
/// that w[n, k] ~ q[n, k] * scale[n, k / 32] with an error of at most scale / 2 = max|w| / 254 per
/// element. <see cref="Values"/> is [Rows, Columns] row-major, <see cref="Scales"/> [Rows, Blocks].
/// </summary>
public sealed record Q8Matrix(int Rows, int Columns, sbyte[] Values, float[] Scales)
{
    /// <summary>Columns per block (one scale each).</summary>
    public const int BlockSize = 32;

    /// <summary>Scales per row: Columns / 32 rounded up.</summary>
    public int Blocks => BlocksOf(Columns);

    /// <summary>Scales per row of a matrix with <paramref name="columns"/> columns.</summary>
    public static int BlocksOf(int columns) => (columns + BlockSize - 1) / BlockSize;

    /// <summary>Quantises a row-major float32 matrix [rows, columns].</summary>
    public static Q8Matrix Quantize(ReadOnlySpan<float> w, int rows, int columns)
    {
        if ((long)rows * columns != w.Length)
            throw new ArgumentException($"q8_0: {w.Length} elements are not a [{rows}, {columns}] matrix");
        int blocks = BlocksOf(columns);
        var values = new sbyte[w.Length];
        var scales = new float[(long)rows * blocks];
        for (int n = 0; n < rows; n++)
            for (int b = 0; b < blocks; b++)
            {
                int start = b * BlockSize, length = Math.Min(BlockSize, columns - start);
                ReadOnlySpan<float> block = w.Slice(n * columns + start, length);
                float max = 0f;
                foreach (float v in block)
                    max = Math.Max(max, Math.Abs(v));
                float scale = max / 127f;
                scales[(long)n * blocks + b] = scale;
                if (scale == 0f)
                    continue;
                for (int i = 0; i < length; i++)
                    values[n * columns + start + i] = (sbyte)Math.Clamp(MathF.Round(block[i] / scale, MidpointRounding.AwayFromZero), -127, 127);
            }
        return new Q8Matrix(rows, columns, values, scales);
    }

    /// <summary>The matrix as float32: q[n, k] * scale[n, k / 32].</summary>
    public float[] Dequantize()
    {
        var w = new float[Values.Length];
        DequantizeInto(w);
        return w;
    }

    /// <summary>w[n, k] = q[n, k] * scale[n, k / 32] into <paramref name="w"/>, which holds exactly Rows x Columns floats.</summary>
    public void DequantizeInto(Span<float> w)
    {
        if (w.Length != Values.Length)
            throw new ArgumentException($"a q8_0 matrix [{Rows}, {Columns}] dequantises into {Values.Length} floats, not {w.Length}", nameof(w));
        int blocks = Blocks;
        for (int n = 0; n < Rows; n++)
            for (int k = 0; k < Columns; k++)
                w[n * Columns + k] = Values[(long)n * Columns + k] * Scales[(long)n * blocks + k / BlockSize];
    }

    /// <summary>Matrices of the same width stacked row-wise (values and scales concatenated: exact).</summary>
    public static Q8Matrix Stack(IReadOnlyList<Q8Matrix> parts)
    {
        int columns = parts[0].Columns;
        if (parts.Any(p => p.Columns != columns))
            throw new ArgumentException("stacked q8_0 matrices differ in width");
        return new Q8Matrix(parts.Sum(p => p.Rows), columns,
            parts.SelectMany(p => p.Values).ToArray(), parts.SelectMany(p => p.Scales).ToArray());
    }
}
