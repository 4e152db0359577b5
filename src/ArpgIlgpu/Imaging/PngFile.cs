using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ArpgIlgpu.Imaging;

/// <summary>Writes one PNG file atomically (see <see cref="AtomicFile"/>); <see cref="PngBatch"/> writes many.</summary>
public static class PngFile
{
    /// <summary>Writes <paramref name="image"/> as a PNG at <paramref name="path"/>, whole or not at all.</summary>
    public static void Write(string path, RgbImage image) => AtomicFile.Write(path, temp => Save(temp, image));

    /// <summary>Encodes <paramref name="image"/> as PNG into the file <paramref name="path"/> (not atomic).</summary>
    internal static void Save(string path, RgbImage image)
    {
        using Image<Rgb24> img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        img.SaveAsPng(path);
    }
}
