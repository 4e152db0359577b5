using ArpgIlgpu.Imaging;
using Microsoft.Extensions.AI;

namespace ArpgIlgpu.Extensions.AI;

/// <summary>
/// Pictures to and from the bytes of <see cref="DataContent"/>. Both go through a temporary
/// file, so that a caller's bytes meet exactly the checks of the library's file reader
/// (format, size limits, truncation) and the output is the library's PNG.
/// </summary>
internal static class ImageBytes
{
    public const string PngMediaType = "image/png";

    /// <summary>The picture in <paramref name="content"/> (PNG, JPEG, ...), its sides multiples of <paramref name="multipleOf"/>.</summary>
    public static RgbImage Read(DataContent content, int multipleOf, string what) =>
        ThroughFile(path =>
        {
            if (!content.HasTopLevelMediaType("image"))
                throw new InvalidParameterException(what, content.MediaType, "expected an image");
            File.WriteAllBytes(path, content.Data.ToArray());
            return ImageLoader.Read(path, multipleOf, ImageFit.Reject);
        });

    /// <summary><paramref name="image"/> as a PNG.</summary>
    public static DataContent Png(RgbImage image) =>
        ThroughFile(path =>
        {
            PngFile.Write(path, image);
            return new DataContent(File.ReadAllBytes(path), PngMediaType);
        });

    private static T ThroughFile<T>(Func<string, T> use)
    {
        string path = Path.Combine(Path.GetTempPath(), $"arpg-{Guid.NewGuid():N}.img");
        try
        {
            return use(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
