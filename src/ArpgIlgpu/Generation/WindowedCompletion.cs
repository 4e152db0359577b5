namespace ArpgIlgpu.Generation;

/// <summary>
/// Completes a canvas of any size with the trained window: ARPG saw g x g grids only (16 x 16
/// for the released models), so positions beyond one window are out of distribution. The canvas
/// is filled window by window, each window g x g and pre-filled with every known token inside it
/// (positions relative to the window), its unknown positions generated. Windows sit on a lattice
/// of half-window strides (plus the last row and column), so neighbouring windows overlap by half;
/// each time the window with the most known tokens among those with something left to generate
/// goes next, so generation grows outward from the known region with as much context as it has.
/// A canvas of exactly one window (a 256x256 image) is a single completion.
/// </summary>
public static class WindowedCompletion
{
    /// <summary>A window about to be generated: its place, and its number (its image index in the random streams).</summary>
    /// <param name="Index">0 for the first window, 1 for the next, ...</param>
    /// <param name="Top">Grid row of its top-left corner.</param>
    /// <param name="Left">Grid column of its top-left corner.</param>
    /// <param name="Known">Known tokens inside it.</param>
    public readonly record struct Window(int Index, int Top, int Left, int Known);

    /// <summary>
    /// Fills every unknown position of <paramref name="canvas"/> for class <paramref name="classLabel"/>;
    /// returns the windows generated, in order. Window i draws its tokens as image i of the seed,
    /// so a run is deterministic.
    /// </summary>
    public static IReadOnlyList<Window> Fill(ParallelDecoder decoder, TokenCanvas canvas, int classLabel, int windowSize,
        GenerationOptions options, IProgress<Window>? progress = null, CancellationToken cancel = default)
    {
        if (canvas.Rows < windowSize || canvas.Columns < windowSize)
            throw new InvalidInputException(
                $"a canvas of {canvas.Rows}x{canvas.Columns} tokens is smaller than the model's {windowSize}x{windowSize} window");
        int[] tops = Lattice(canvas.Rows, windowSize), lefts = Lattice(canvas.Columns, windowSize);
        var done = new List<Window>();
        while (true)
        {
            Window? next = null;
            foreach (int top in tops)
                foreach (int left in lefts)
                {
                    (_, bool[] known) = canvas.Window(top, left, windowSize);
                    int count = known.Count(k => k);
                    if (count < known.Length && (next is null || count > next.Value.Known))
                        next = new Window(done.Count, top, left, count);
                }
            if (next is not Window w)
                return done;
            cancel.ThrowIfCancellationRequested();
            progress?.Report(w);
            (int[] tokens, bool[] windowKnown) = canvas.Window(w.Top, w.Left, windowSize);
            int[][] completed = decoder.Complete([classLabel], [tokens], windowKnown, options, [w.Index], cancel: cancel);
            canvas.Paste(w.Top, w.Left, windowSize, completed[0]);
            done.Add(w);
        }
    }

    /// <summary>Window origins along one side: 0, g/2, g, ... and the last one that fits.</summary>
    private static int[] Lattice(int length, int window)
    {
        int stride = Math.Max(1, window / 2);
        var origins = new SortedSet<int>();
        for (int o = 0; o + window <= length; o += stride)
            origins.Add(o);
        origins.Add(length - window);
        return origins.ToArray();
    }
}
