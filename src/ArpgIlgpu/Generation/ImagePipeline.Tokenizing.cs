using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>Pictures to token grids and back with the pipeline's VQ tokenizer.</summary>
public sealed partial class ImagePipeline
{
    /// <summary>
    /// Encodes a picture (sides multiples of the tokenizer's downsample factor, 16) to its token
    /// grid: the nearest codebook entry of each f x f cell, in grid order.
    /// </summary>
    public VqEncoding Encode(RgbImage image, CancellationToken cancel = default)
    {
        int f = Tokenizer.Config.DownsampleFactor;
        if (image.Width % f != 0 || image.Height % f != 0)
            throw new InvalidParameterException(nameof(image), $"{image.Width}x{image.Height}", $"its sides must be multiples of {f} pixels");
        cancel.ThrowIfCancellationRequested();
        return Tokenizer.Encode(image.ToModelInput(), 1, image.Height, image.Width);
    }

    /// <summary>
    /// Decodes square token grids (each g*g ids in grid order) to pictures, one tokenizer pass at
    /// a time; <paramref name="decoded"/> hears the number of pictures done after each pass.
    /// </summary>
    public RgbImage[] Decode(IReadOnlyList<int[]> tokens, IProgress<int>? decoded = null, CancellationToken cancel = default) =>
        TokenPictures.Decode(Tokenizer, tokens, decoded, cancel);
}
