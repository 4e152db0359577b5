namespace ArpgIlgpu.Generation.Explain;

/// <summary>One step of a <see cref="DecodingTrace"/>, in the canvas's positions.</summary>
/// <param name="Step">The step, from 0, counted over the whole trace (an edit's windows follow each other).</param>
/// <param name="Window">The edit's window the step belongs to (0 for plain generation).</param>
/// <param name="GuidanceScale">The classifier-free guidance scale of the step.</param>
/// <param name="MaskRatio">The schedule's masked fraction after the step (within its window).</param>
/// <param name="Positions">[m]: canvas positions (row * Columns + column) filled at the step.</param>
/// <param name="Tokens">[m]: the tokens chosen there.</param>
/// <param name="Probabilities">[m]: the probability the sampler gave each of them.</param>
public sealed record TraceStep(int Step, int Window, float GuidanceScale, double MaskRatio, int[] Positions, int[] Tokens,
    float[] Probabilities)
{
    /// <summary>Tokens generated at this step.</summary>
    public int TokensThisStep => Positions.Length;
}

/// <summary>
/// How one image was decoded, step by step: what the explanation pictures show. A canvas of
/// Rows x Columns tokens, some known before the first step (the prefill of an edit), and the
/// steps that filled the rest.
/// </summary>
public sealed class DecodingTrace
{
    /// <summary>A trace that starts from <paramref name="initialTokens"/> where <paramref name="initialKnown"/> holds.</summary>
    public DecodingTrace(int rows, int columns, int[] initialTokens, bool[] initialKnown)
    {
        if (initialTokens.Length != rows * columns || initialKnown.Length != rows * columns)
            throw new ArgumentException($"{initialTokens.Length} tokens and {initialKnown.Length} flags for {rows}x{columns}");
        Rows = rows;
        Columns = columns;
        InitialTokens = initialTokens;
        InitialKnown = initialKnown;
    }

    /// <summary>Token rows of the canvas.</summary>
    public int Rows { get; }

    /// <summary>Token columns of the canvas.</summary>
    public int Columns { get; }

    /// <summary>[Rows * Columns]: the tokens known before the first step (others ignored).</summary>
    public int[] InitialTokens { get; }

    /// <summary>[Rows * Columns]: which positions were known before the first step.</summary>
    public bool[] InitialKnown { get; }

    /// <summary>The steps, in order.</summary>
    public List<TraceStep> Steps { get; } = [];

    /// <summary>The canvas after step <paramref name="step"/> (-1: before the first): tokens, -1 where none is known yet.</summary>
    public int[] CanvasAfter(int step)
    {
        int[] canvas = InitialTokens.Select((t, p) => InitialKnown[p] ? t : -1).ToArray();
        foreach (TraceStep s in Steps.Take(step + 1))
            for (int i = 0; i < s.Positions.Length; i++)
                canvas[s.Positions[i]] = s.Tokens[i];
        return canvas;
    }

    /// <summary>The final tokens.</summary>
    public int[] FinalTokens => CanvasAfter(Steps.Count - 1);

    /// <summary>[Rows * Columns]: the step at which each position was generated; -1 where it was known.</summary>
    public int[] StepOfPosition()
    {
        int[] map = Enumerable.Repeat(-1, Rows * Columns).ToArray();
        foreach (TraceStep s in Steps)
            foreach (int p in s.Positions)
                map[p] = s.Step;
        return map;
    }

    /// <summary>[Rows * Columns]: the sampler's probability of each generated token; NaN where the token was known.</summary>
    public float[] ProbabilityOfPosition()
    {
        float[] map = Enumerable.Repeat(float.NaN, Rows * Columns).ToArray();
        foreach (TraceStep s in Steps)
            for (int i = 0; i < s.Positions.Length; i++)
                map[s.Positions[i]] = s.Probabilities[i];
        return map;
    }
}
