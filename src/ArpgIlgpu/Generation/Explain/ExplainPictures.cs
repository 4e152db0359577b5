using ArpgIlgpu.Imaging;

namespace ArpgIlgpu.Generation.Explain;

/// <summary>
/// The pictures of a <see cref="DecodingTrace"/>: one frame per step (what the VQ makes of the
/// tokens known so far, unknown cells grey, the step's cells outlined, a counter below), the
/// order map (each cell coloured by its step) and heatmaps of per-cell values with a legend.
/// Pictures smaller than 256 pixels are enlarged (nearest neighbour) so that cells and text stay
/// readable.
/// </summary>
public static class ExplainPictures
{
    /// <summary>The colour of a cell whose token is not known yet.</summary>
    public static readonly Rgb Unknown = new(128, 128, 128);

    /// <summary>The outline of the cells filled at the frame's step.</summary>
    public static readonly Rgb Filled = new(0, 255, 255);

    private static readonly Rgb Ink = new(255, 255, 255), Paper = new(0, 0, 0);
    private const int SmallestSide = 256, Margin = 4;

    /// <summary>How much a picture of width x height pixels is enlarged (an integer; 1 from 256 pixels up).</summary>
    public static int Enlargement(int width, int height) =>
        Math.Max(1, (SmallestSide + Math.Max(width, height) - 1) / Math.Max(width, height));

    /// <summary>What to decode for each frame: the canvas after each step, an unknown token read as code 0 (painted over).</summary>
    public static int[][] FrameCanvases(DecodingTrace trace) =>
        Enumerable.Range(0, trace.Steps.Count).Select(k => trace.CanvasAfter(k).Select(t => Math.Max(t, 0)).ToArray()).ToArray();

    /// <summary>
    /// Frame <paramref name="step"/>: <paramref name="decoded"/> (the VQ's picture of
    /// <see cref="FrameCanvases"/>[step]) with the cells unknown after the step grey and the cells
    /// filled at the step outlined; the last frame is the final picture as it is. Below it, the
    /// step counter and the step's token count.
    /// </summary>
    public static RgbImage Frame(DecodingTrace trace, int step, RgbImage decoded)
    {
        RgbImage image = PixelDrawing.Enlarge(decoded, Enlargement(decoded.Width, decoded.Height));
        int cell = image.Width / trace.Columns;
        int[] canvas = trace.CanvasAfter(step);
        for (int p = 0; p < canvas.Length; p++)
            if (canvas[p] < 0)
                PixelDrawing.Fill(image, p % trace.Columns * cell, p / trace.Columns * cell, cell, cell, Unknown);
        TraceStep s = trace.Steps[step];
        if (step < trace.Steps.Count - 1)
            foreach (int p in s.Positions)
                PixelDrawing.Outline(image, p % trace.Columns * cell, p / trace.Columns * cell, cell, cell,
                    Math.Max(1, cell / 12), Filled);
        int known = canvas.Count(t => t >= 0);
        return PixelDrawing.Stack(image, Caption(image.Width,
            $"STEP {step + 1}/{trace.Steps.Count} +{s.TokensThisStep} TOK", $"{known}/{canvas.Length}"));
    }

    /// <summary>The order map: each generated cell coloured by its step (viridis, first step dark), over the final picture.</summary>
    public static RgbImage Order(DecodingTrace trace, RgbImage final)
    {
        float[] steps = trace.StepOfPosition().Select(s => s < 0 ? float.NaN : s).ToArray();
        int last = Math.Max(1, trace.Steps.Count - 1);
        return Heatmap(steps, trace.Rows, trace.Columns, final, 0f, last, "STEP 1", $"STEP {last + 1}", "ORDER");
    }

    /// <summary>The confidence map: each generated cell coloured by the sampler's probability of its token, 0 to 1.</summary>
    public static RgbImage Confidence(DecodingTrace trace, RgbImage final) =>
        Heatmap(trace.ProbabilityOfPosition(), trace.Rows, trace.Columns, final, 0f, 1f, "P=0", "P=1", "CONFIDENCE");

    /// <summary>
    /// Cells coloured by <paramref name="values"/> ([rows * columns]; low..high on the viridis
    /// scale, three quarters colour and one quarter <paramref name="background"/>; NaN leaves the
    /// background as it is), above a legend: the scale, its end labels and a title.
    /// </summary>
    public static RgbImage Heatmap(float[] values, int rows, int columns, RgbImage background, float low, float high,
        string lowLabel, string highLabel, string title)
    {
        if (values.Length != rows * columns)
            throw new ArgumentException($"{values.Length} values for {rows}x{columns} cells");
        RgbImage image = PixelDrawing.Enlarge(background, Enlargement(background.Width, background.Height));
        int cell = image.Width / columns;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                float v = values[y / cell * columns + x / cell];
                if (!float.IsNaN(v))
                    PixelDrawing.Set(image, x, y, ColourOf(PixelDrawing.Get(image, x, y), v, low, high));
            }
        return PixelDrawing.Stack(image, Legend(image.Width, lowLabel, highLabel, title));
    }

    /// <summary>The heatmap colour of value <paramref name="v"/> over a background pixel.</summary>
    public static Rgb ColourOf(Rgb background, float v, float low, float high) =>
        Rgb.Mix(background, Viridis.At(high > low ? (v - low) / (high - low) : 0f), 0.75f);

    private static int TextScale(int width) => width >= SmallestSide ? 2 : 1;

    /// <summary>A strip with <paramref name="left"/> flush left and <paramref name="right"/> flush right.</summary>
    private static RgbImage Caption(int width, string left, string right)
    {
        int scale = TextScale(width);
        RgbImage strip = PixelDrawing.Blank(width, PixelFont.Height * scale + 2 * Margin, Paper);
        PixelFont.Draw(strip, left, Margin, Margin, scale, Ink);
        PixelFont.Draw(strip, right, width - Margin - PixelFont.Width(right, scale), Margin, scale, Ink);
        return strip;
    }

    /// <summary>The colour bar, then its labels (low, title centred, high).</summary>
    private static RgbImage Legend(int width, string low, string high, string title)
    {
        int scale = TextScale(width), bar = 4 * scale;
        RgbImage strip = PixelDrawing.Blank(width, bar + PixelFont.Height * scale + 3 * Margin, Paper);
        for (int x = Margin; x < width - Margin; x++)
            PixelDrawing.Fill(strip, x, Margin, 1, bar, Viridis.At((x - Margin) / (float)(width - 2 * Margin - 1)));
        int y = bar + 2 * Margin;
        PixelFont.Draw(strip, low, Margin, y, scale, Ink);
        PixelFont.Draw(strip, title, (width - PixelFont.Width(title, scale)) / 2, y, scale, Ink);
        PixelFont.Draw(strip, high, width - Margin - PixelFont.Width(high, scale), y, scale, Ink);
        return strip;
    }
}
