using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>The result of an edit: the picture, the token canvas behind it and the windows generated.</summary>
/// <param name="Image">The output picture.</param>
/// <param name="Canvas">Its tokens; Known marks those taken from the input (before generation).</param>
/// <param name="InputKnown">Which canvas positions came from the input image.</param>
/// <param name="Windows">The windows generated, in order.</param>
public sealed record EditResult(RgbImage Image, TokenCanvas Canvas, bool[] InputKnown,
    IReadOnlyList<WindowedCompletion.Window> Windows);

/// <summary>
/// Zero-shot editing with ARPG (the paper's Section 4.4; the release ships no code for it): the
/// VQ encodes the input, the tokens that must stay are pre-filled in pass 1 as known context, the
/// rest is generated in windows of the trained size (<see cref="WindowedCompletion"/>), and the VQ
/// decodes the whole canvas (it is convolutional: any multiple of 16 pixels per side).
/// </summary>
public sealed class ImageEditor(ArpgTransformer transformer, VqModel tokenizer)
{
    private int Factor => tokenizer.Config.DownsampleFactor;

    /// <summary>When set, hears every step of every window (<see cref="ParallelDecoder.Observer"/>).</summary>
    public StepObserver? Observer { get; init; }

    /// <summary>
    /// Inpainting: regenerates the parts of <paramref name="image"/> where <paramref name="mask"/>
    /// (same size) is white. A token is known when its whole f x f cell (f = 16) has no white mask
    /// pixel (any channel above 127). With <paramref name="keepUnmasked"/> the output takes the
    /// input's pixels wherever the mask is not white. An all-black mask returns the encoded tokens
    /// unchanged; an all-white mask is plain generation for the same seed and class.
    /// </summary>
    public EditResult Inpaint(RgbImage image, RgbImage mask, int classLabel, GenerationOptions options, bool keepUnmasked,
        IProgress<WindowedCompletion.Window>? progress = null, CancellationToken cancel = default)
    {
        if (mask.Width != image.Width || mask.Height != image.Height)
            throw new InvalidParameterException(nameof(mask), $"{mask.Width}x{mask.Height}",
                $"the image is {image.Width}x{image.Height} pixels; they must match");
        TokenCanvas canvas = Encode(image, 0, 0, image.Height / Factor, image.Width / Factor);
        for (int r = 0; r < canvas.Rows; r++)
            for (int c = 0; c < canvas.Columns; c++)
                if (CellHasWhite(mask, r, c))
                    canvas.Known[r * canvas.Columns + c] = false;
        EditResult result = Complete(canvas, classLabel, options, progress, cancel);
        return keepUnmasked ? result with { Image = Paste(result.Image, image, 0, 0, p => !IsWhite(mask, p)) } : result;
    }

    /// <summary>
    /// Outpainting: extends the canvas by the given pixels on each side (multiples of 16); every
    /// original token is kept as context. With <paramref name="keepOriginal"/> the original pixels
    /// are pasted back over the decoded output.
    /// </summary>
    public EditResult Outpaint(RgbImage image, int left, int right, int top, int bottom, int classLabel,
        GenerationOptions options, bool keepOriginal, IProgress<WindowedCompletion.Window>? progress = null,
        CancellationToken cancel = default)
    {
        foreach ((string name, int pixels) in new[] { (nameof(left), left), (nameof(right), right), (nameof(top), top), (nameof(bottom), bottom) })
            if (pixels < 0 || pixels % Factor != 0)
                throw new InvalidParameterException(name, $"{pixels}", $"must be a non-negative multiple of {Factor} pixels");
        int f = Factor;
        (int rows, int columns) = CanvasSize.Require(tokenizer,
            (long)top + image.Height + bottom, (long)left + image.Width + right, "outpainting");
        TokenCanvas canvas = Encode(image, top / f, left / f, rows, columns);
        EditResult result = Complete(canvas, classLabel, options, progress, cancel);
        return keepOriginal ? result with { Image = Paste(result.Image, image, left, top, _ => true) } : result;
    }

    /// <summary>
    /// Resolution expansion by an integer <paramref name="scale"/>: the image is upscaled
    /// (bicubic) and encoded at the larger grid; one token in every scale x scale block (the
    /// top-left one: a regular lattice) is kept as context, since it carries the layout of the
    /// original, and every other token is regenerated in windows, so detail is synthesised by the
    /// model instead of interpolated. Scale 1 keeps every token (the VQ's reconstruction).
    /// </summary>
    public EditResult Expand(RgbImage image, int scale, int classLabel, GenerationOptions options,
        IProgress<WindowedCompletion.Window>? progress = null, CancellationToken cancel = default)
    {
        if (scale < 1)
            throw new InvalidParameterException(nameof(scale), $"{scale}", "must be an integer of at least 1");
        CanvasSize.Require(tokenizer, (long)image.Height * scale, (long)image.Width * scale,
            $"expanding {image.Width}x{image.Height} pixels by {scale}");
        RgbImage large = RgbImageResize.Bicubic(image, image.Width * scale, image.Height * scale);
        TokenCanvas canvas = Encode(large, 0, 0, large.Height / Factor, large.Width / Factor);
        for (int r = 0; r < canvas.Rows; r++)
            for (int c = 0; c < canvas.Columns; c++)
                canvas.Known[r * canvas.Columns + c] = r % scale == 0 && c % scale == 0;
        return Complete(canvas, classLabel, options, progress, cancel);
    }

    /// <summary>Encodes the image into a canvas of the given size at (top, left), those tokens known.</summary>
    private TokenCanvas Encode(RgbImage image, int top, int left, int rows, int columns)
    {
        int f = Factor;
        if (image.Width % f != 0 || image.Height % f != 0)
            throw new InvalidParameterException(nameof(image), $"{image.Width}x{image.Height}", $"its sides must be multiples of {f} pixels");
        int gh = image.Height / f, gw = image.Width / f;
        int[] codes = tokenizer.Encode(image.ToModelInput(), 1, image.Height, image.Width).Codes;
        var canvas = new TokenCanvas(rows, columns);
        for (int r = 0; r < gh; r++)
            for (int c = 0; c < gw; c++)
                canvas.Set(top + r, left + c, codes[r * gw + c]);
        return canvas;
    }

    private EditResult Complete(TokenCanvas canvas, int classLabel, GenerationOptions options,
        IProgress<WindowedCompletion.Window>? progress, CancellationToken cancel)
    {
        bool[] inputKnown = (bool[])canvas.Known.Clone();
        var windows = WindowedCompletion.Fill(new ParallelDecoder(transformer) { Observer = Observer }, canvas, classLabel,
            transformer.Config.GridSize, options, progress, cancel);
        float[] pixels = tokenizer.Decode(canvas.Tokens, 1, canvas.Rows, canvas.Columns);
        RgbImage image = RgbImage.FromModelOutput(pixels, 1, canvas.Rows * Factor, canvas.Columns * Factor)[0];
        return new EditResult(image, canvas, inputKnown, windows);
    }

    private bool CellHasWhite(RgbImage mask, int row, int column)
    {
        for (int y = row * Factor; y < (row + 1) * Factor; y++)
            for (int x = column * Factor; x < (column + 1) * Factor; x++)
                if (IsWhite(mask, y * mask.Width + x))
                    return true;
        return false;
    }

    /// <summary>White where a mask pixel has any channel above 127.</summary>
    private static bool IsWhite(RgbImage mask, int pixel) =>
        mask.Pixels[pixel * 3] > 127 || mask.Pixels[pixel * 3 + 1] > 127 || mask.Pixels[pixel * 3 + 2] > 127;

    /// <summary>Copies the source's pixels (where <paramref name="take"/> of the source pixel index holds) into the target at (left, top).</summary>
    private static RgbImage Paste(RgbImage target, RgbImage source, int left, int top, Func<int, bool> take)
    {
        byte[] pixels = (byte[])target.Pixels.Clone();
        for (int y = 0; y < source.Height; y++)
            for (int x = 0; x < source.Width; x++)
            {
                int from = y * source.Width + x;
                if (take(from))
                    Array.Copy(source.Pixels, from * 3, pixels, ((top + y) * target.Width + left + x) * 3, 3);
            }
        return new RgbImage(target.Width, target.Height, pixels);
    }
}
