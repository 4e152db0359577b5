using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
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

    /// <summary>The largest image file read (a 64 Mi-pixel RGB PNG stored without compression is some 200 MiB).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>
    /// Decoders that read only the first frame of an animated GIF or a multi-page TIFF: a
    /// 9 KB GIF may declare hundreds of full-canvas frames, and only the first is the picture.
    /// </summary>
    private static readonly Configuration FirstFrameOnly = CreateFirstFrameConfiguration();

    /// <summary>
    /// Reads <paramref name="path"/> and makes both sides multiples of <paramref name="multipleOf"/>
    /// as <paramref name="fit"/> says.
    /// </summary>
    public static RgbImage Read(string path, int multipleOf, ImageFit fit)
    {
        // One read of a bounded size (a regular file or a pipe, see InputFile), then everything
        // from memory: the header, the completeness check, the pixels.
        byte[] file = InputFile.ReadAllBytes(path, MaxFileBytes);
        if (file.Length == 0)
            throw new InvalidInputException($"{path}: the file is empty");
        // The header first: the size is refused before any pixel is decoded or checked.
        IImageFormat? format = null;
        IImageInfo info = Guarded(path, () => Image.Identify(FirstFrameOnly, file, out format)) ?? throw new InvalidInputException(
            $"{path}: not an image format this program reads (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP)");
        if (info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide
            || (long)info.Width * info.Height > MaxPixels)
            throw new InvalidInputException(
                $"{path}: {info.Width}x{info.Height} pixels is outside the accepted size " +
                $"(1 to {MaxSide} per side, at most {MaxPixels} pixels)");
        if (IncompleteBecause(format!, file) is string problem)
            throw new InvalidInputException($"{path}: the image is truncated or corrupt ({problem})");

        using Image<Rgb24> image = Decode(path, file);
        if (image.Width != info.Width || image.Height != info.Height)
            throw new InvalidInputException($"{path}: the header says {info.Width}x{info.Height}, the pixel data differs");
        Fit(path, image, multipleOf, fit);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbImage(image.Width, image.Height, pixels);
    }

    /// <summary>
    /// Why the file does not hold its whole image, for the formats whose decoder fills missing
    /// rows without complaint (JPEG, PNG, BMP); null when it is whole.
    /// </summary>
    private static string? IncompleteBecause(IImageFormat format, byte[] file) => format.Name switch
    {
        "JPEG" => JpegEndCheck.IsComplete(new MemoryStream(file)) ? null : "the JPEG data ends before its end marker",
        "PNG" => PngEndCheck.Problem(file),
        "BMP" => BmpEndCheck.Problem(file),
        _ => null,
    };

    private static Image<Rgb24> Decode(string path, byte[] file) => Guarded(path, () => Image.Load<Rgb24>(FirstFrameOnly, file));

    /// <summary>
    /// Runs a decoder step, turning what ImageSharp throws at damaged data (its own exceptions and
    /// the range errors of its parsers) into one line naming the file.
    /// </summary>
    private static T Guarded<T>(string path, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or IOException
                                      or InvalidOperationException or IndexOutOfRangeException or ArgumentException)
        {
            throw new InvalidInputException($"{path}: the image is truncated or corrupt ({e.Message})", e);
        }
    }

    /// <summary>
    /// ImageSharp's formats with GIF and TIFF decoding their first frame only, in a configuration
    /// of its own: <c>Configuration.Default.Clone()</c> shares the default's format manager, so a
    /// decoder set on a clone would change every <c>Image.Load</c> of the process.
    /// </summary>
    private static Configuration CreateFirstFrameConfiguration()
    {
        var configuration = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(),
            new GifConfigurationModule(), new BmpConfigurationModule(), new PbmConfigurationModule(),
            new TgaConfigurationModule(), new TiffConfigurationModule(), new WebpConfigurationModule());
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
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
