using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>Token grids to pictures through a VQ tokenizer.</summary>
public static class TokenPictures
{
    /// <summary>
    /// Decodes square token grids (each g*g ids, grid order, checked against the codebook) to
    /// pictures, one forward pass of the tokenizer at a time, so that device and host memory hold
    /// one pass of float images however many grids are given. <paramref name="decoded"/> hears
    /// the number of pictures done after each pass; <paramref name="cancel"/> is checked before each.
    /// </summary>
    public static RgbImage[] Decode(VqModel tokenizer, IReadOnlyList<int[]> tokens, IProgress<int>? decoded = null,
        CancellationToken cancel = default)
    {
        if (tokens.Count == 0)
            return [];
        int g = (int)Math.Round(Math.Sqrt(tokens[0].Length));
        return Decode(tokenizer, tokens, g, g, decoded, cancel);
    }

    /// <summary>As <see cref="Decode(VqModel, IReadOnlyList{int[]}, IProgress{int}?, CancellationToken)"/>, for grids of <paramref name="rows"/> x <paramref name="columns"/> tokens.</summary>
    public static RgbImage[] Decode(VqModel tokenizer, IReadOnlyList<int[]> tokens, int rows, int columns,
        IProgress<int>? decoded = null, CancellationToken cancel = default)
    {
        int f = tokenizer.Config.DownsampleFactor;
        int perPass = tokenizer.ImagesPerPass(rows, columns);
        var pictures = new List<RgbImage>(tokens.Count);
        for (int first = 0; first < tokens.Count; first += perPass)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(perPass, tokens.Count - first);
            int[] codes = tokens.Skip(first).Take(count).SelectMany(t => t).ToArray();
            pictures.AddRange(RgbImage.FromModelOutput(tokenizer.Decode(codes, count, rows, columns), count, rows * f, columns * f));
            decoded?.Report(pictures.Count);
        }
        return [.. pictures];
    }
}
