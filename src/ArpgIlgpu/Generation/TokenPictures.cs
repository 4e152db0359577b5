using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>Token grids to pictures through a VQ tokenizer.</summary>
public static class TokenPictures
{
    /// <summary>Decodes square token grids (each g*g ids, grid order, checked against the codebook) to pictures.</summary>
    public static RgbImage[] Decode(VqModel tokenizer, IReadOnlyList<int[]> tokens)
    {
        int g = (int)Math.Round(Math.Sqrt(tokens[0].Length));
        int size = g * tokenizer.Config.DownsampleFactor;
        float[] images = tokenizer.Decode(tokens.SelectMany(t => t).ToArray(), tokens.Count, g, g);
        return RgbImage.FromModelOutput(images, tokens.Count, size, size);
    }
}
