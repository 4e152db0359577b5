using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ArpgIlgpu.Imaging;

/// <summary>Resampling of in-memory images (resolution expansion upscales before encoding).</summary>
public static class RgbImageResize
{
    /// <summary>The image resized to <paramref name="width"/> x <paramref name="height"/> with a bicubic filter.</summary>
    public static RgbImage Bicubic(RgbImage image, int width, int height)
    {
        using Image<Rgb24> img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        img.Mutate(x => x.Resize(width, height, KnownResamplers.Bicubic));
        var pixels = new byte[width * height * 3];
        img.CopyPixelDataTo(pixels);
        return new RgbImage(width, height, pixels);
    }
}
