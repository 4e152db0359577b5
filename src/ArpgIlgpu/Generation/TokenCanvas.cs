namespace ArpgIlgpu.Generation;

/// <summary>
/// A grid of tokens of any size (rows x columns, grid order) with the positions already known:
/// what the editing tasks complete, window by window.
/// </summary>
public sealed class TokenCanvas
{
    /// <summary>An empty canvas: every position unknown.</summary>
    public TokenCanvas(int rows, int columns)
    {
        if (rows < 1 || columns < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a canvas of {rows}x{columns} tokens");
        Rows = rows;
        Columns = columns;
        Tokens = new int[rows * columns];
        Known = new bool[rows * columns];
    }

    /// <summary>Grid rows.</summary>
    public int Rows { get; }

    /// <summary>Grid columns.</summary>
    public int Columns { get; }

    /// <summary>Token ids [Rows * Columns], row-major.</summary>
    public int[] Tokens { get; }

    /// <summary>Which positions are known [Rows * Columns].</summary>
    public bool[] Known { get; }

    /// <summary>Positions still to generate.</summary>
    public int UnknownCount => Known.Count(k => !k);

    /// <summary>Sets the token at (row, column) and marks it known.</summary>
    public void Set(int row, int column, int token)
    {
        Tokens[row * Columns + column] = token;
        Known[row * Columns + column] = true;
    }

    /// <summary>The size x size window at (top, left): its tokens and known flags, grid order.</summary>
    public (int[] Tokens, bool[] Known) Window(int top, int left, int size)
    {
        var tokens = new int[size * size];
        var known = new bool[size * size];
        for (int r = 0; r < size; r++)
        {
            Array.Copy(Tokens, (top + r) * Columns + left, tokens, r * size, size);
            Array.Copy(Known, (top + r) * Columns + left, known, r * size, size);
        }
        return (tokens, known);
    }

    /// <summary>Writes a completed size x size window back at (top, left); all of it is known afterwards.</summary>
    public void Paste(int top, int left, int size, int[] tokens)
    {
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
                Set(top + r, left + c, tokens[r * size + c]);
    }
}
