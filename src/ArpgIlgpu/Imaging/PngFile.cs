using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace ArpgIlgpu.Imaging;

/// <summary>Writes one PNG file atomically (see <see cref="AtomicFile"/>); <see cref="PngBatch"/> writes many.</summary>
public static class PngFile
{
    /// <summary>
    /// Writes <paramref name="image"/> as a PNG at <paramref name="path"/>, whole or not at all, with
    /// one text chunk per entry of <paramref name="text"/> (keyword: value; how the image was made).
    /// </summary>
    public static void Write(string path, RgbImage image, IReadOnlyDictionary<string, string>? text = null) =>
        AtomicFile.Write(path, temp => Save(temp, image, text));

    /// <summary>Encodes <paramref name="image"/> as PNG into the file <paramref name="path"/> (not atomic).</summary>
    internal static void Save(string path, RgbImage image, IReadOnlyDictionary<string, string>? text)
    {
        using Image<Rgb24> img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        PngMetadata png = img.Metadata.GetPngMetadata();
        foreach ((string keyword, string value) in text ?? new Dictionary<string, string>())
            png.TextData.Add(new PngTextData(keyword, value, languageTag: "", translatedKeyword: ""));
        img.SaveAsPng(path);
    }
}
