namespace ArpgIlgpu.Generation.Explain;

/// <summary>
/// Records a decoder's steps (<see cref="Observer"/>, which asks for the probabilities) and
/// turns them into a <see cref="DecodingTrace"/> per image. Safe to share between the decoders
/// of several devices: a step names its images by their index in the request. For an edit,
/// <see cref="EnterWindow"/> before each window places the window's positions on the canvas.
/// </summary>
public sealed class TraceRecorder
{
    private readonly List<(int Window, Placement? Place, DecodedStep Step)> steps = [];
    private int window;
    private Placement? place;

    /// <summary>A recorder with nothing recorded yet.</summary>
    public TraceRecorder() => Observer = new StepObserver(Record, Probabilities: true);

    /// <summary>What the decoder reports to.</summary>
    public StepObserver Observer { get; }

    /// <summary>
    /// The steps that follow belong to the edit's window <paramref name="index"/>, a
    /// <paramref name="size"/> x <paramref name="size"/> grid at (<paramref name="top"/>,
    /// <paramref name="left"/>) of the canvas; all windows are one image.
    /// </summary>
    public void EnterWindow(int index, int top, int left, int size)
    {
        lock (steps)
        {
            window = index;
            place = new Placement(top, left, size);
        }
    }

    /// <summary>The trace of image <paramref name="imageIndex"/>, generated on a blank <paramref name="size"/> x <paramref name="size"/> grid.</summary>
    public DecodingTrace Trace(int imageIndex, int size) =>
        Trace(imageIndex, size, size, new int[size * size], new bool[size * size]);

    /// <summary>
    /// The trace of image <paramref name="imageIndex"/> (an edit: any) on a canvas of
    /// <paramref name="rows"/> x <paramref name="columns"/> tokens that held
    /// <paramref name="initialTokens"/> where <paramref name="initialKnown"/> before the first step.
    /// </summary>
    public DecodingTrace Trace(int imageIndex, int rows, int columns, int[] initialTokens, bool[] initialKnown)
    {
        var trace = new DecodingTrace(rows, columns, initialTokens, initialKnown);
        lock (steps)
            foreach ((int w, Placement? p, DecodedStep step) in steps)
            {
                int b = p is null ? Array.IndexOf(step.ImageIndices, imageIndex) : 0;
                if (b < 0)
                    continue;
                int[] positions = step.Positions.Select(q => p is { } at ? (at.Top + q / at.Size) * columns + at.Left + q % at.Size : q)
                    .ToArray();
                trace.Steps.Add(new TraceStep(trace.Steps.Count, w, step.GuidanceScale, step.MaskRatio, positions,
                    step.Tokens[b], step.Probabilities![b]));
            }
        return trace;
    }

    private void Record(DecodedStep step)
    {
        lock (steps)
            steps.Add((window, place, step));
    }

    private readonly record struct Placement(int Top, int Left, int Size);
}
