using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ArpgIlgpu.Imaging;

/// <summary>What to do with an image whose sides are not multiples of the VQ's downsample factor.</summary>
public enum ImageFit
{
    /// <summary>Refuse it, naming the sizes that would work.</summary>
    Reject,
    /// <summary>Cut the largest centred region whose sides are multiples of the factor.</summary>
    Crop,
    /// <summary>Resample (bicubic) to the nearest multiples of the factor.</summary>
    Resize,
}

/// <summary>
/// Reads a user's image (PNG, JPEG, or any format ImageSharp decodes) as RGB with bounded memory:
/// the header is read first and oversized images are refused before any pixel is decoded.
/// Every failure is an <see cref="InvalidInputException"/> naming the file.
/// </summary>
public static class ImageLoader
{
    /// <summary>The longest side accepted, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>The most pixels accepted (64 Mi: 192 MiB as RGB bytes).</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>
    /// Reads <paramref name="path"/> and makes both sides multiples of <paramref name="multipleOf"/>
    /// as <paramref name="fit"/> says.
    /// </summary>
    public static RgbImage Read(string path, int multipleOf, ImageFit fit)
    {
        CheckFile(path);
        IImageInfo info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(path, out format) ?? throw new InvalidInputException(
                $"{path}: not an image format this program reads (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP)");
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or IOException)
        {
            throw new InvalidInputException($"{path}: the image is truncated or corrupt ({e.Message})", e);
        }
        if (info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide
            || (long)info.Width * info.Height > MaxPixels)
            throw new InvalidInputException(
                $"{path}: {info.Width}x{info.Height} pixels is outside the accepted size " +
                $"(1 to {MaxSide} per side, at most {MaxPixels} pixels)");

        if (format?.Name == "JPEG" && !JpegIsComplete(path))
            throw new InvalidInputException($"{path}: the image is truncated or corrupt (the JPEG data ends before its end marker)");
        using Image<Rgb24> image = Decode(path);
        if (image.Width != info.Width || image.Height != info.Height)
            throw new InvalidInputException($"{path}: the header says {info.Width}x{info.Height}, the pixel data differs");
        Fit(path, image, multipleOf, fit);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbImage(image.Width, image.Height, pixels);
    }

    private static void CheckFile(string path)
    {
        if (Directory.Exists(path))
            throw new InvalidInputException($"{path}: is a directory, not an image file");
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new InvalidInputException($"{path}: no such file");
        if (file.Length == 0)
            throw new InvalidInputException($"{path}: the file is empty");
    }

    private static bool JpegIsComplete(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JpegEndCheck.IsComplete(stream);
    }

    private static Image<Rgb24> Decode(string path)
    {
        try
        {
            return Image.Load<Rgb24>(path);
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or IOException
                                      or InvalidOperationException or IndexOutOfRangeException or ArgumentException)
        {
            throw new InvalidInputException($"{path}: the image is truncated or corrupt ({e.Message})", e);
        }
    }

    /// <summary>Crops or resizes in place so that both sides are multiples of f, or throws.</summary>
    private static void Fit(string path, Image<Rgb24> image, int f, ImageFit fit)
    {
        int w = image.Width, h = image.Height;
        if (w % f == 0 && h % f == 0)
            return;
        int cropW = w / f * f, cropH = h / f * f;
        int resizeW = Math.Max(f, (int)Math.Round((double)w / f) * f);
        int resizeH = Math.Max(f, (int)Math.Round((double)h / f) * f);
        switch (fit)
        {
            case ImageFit.Crop when cropW > 0 && cropH > 0:
                image.Mutate(x => x.Crop(new Rectangle((w - cropW) / 2, (h - cropH) / 2, cropW, cropH)));
                break;
            case ImageFit.Resize:
                image.Mutate(x => x.Resize(resizeW, resizeH, KnownResamplers.Bicubic));
                break;
            default:
                string crop = cropW > 0 && cropH > 0 ? $"crop to {cropW}x{cropH}, " : "";
                throw new InvalidParameterException(nameof(fit), null,
                    $"{path} is {w}x{h} pixels, but the VQ needs sides that are multiples of {f}; " +
                    $"{crop}resize to {resizeW}x{resizeH}, or pass an image of such a size");
        }
    }
}
