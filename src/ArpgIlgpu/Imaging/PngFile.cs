using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ArpgIlgpu.Imaging;

/// <summary>
/// Writes PNG files so that no partial output is ever left behind: every image goes to a temporary
/// file in the destination folder first, and only when all are complete are they renamed into
/// place (a rename within one folder is atomic).
/// </summary>
public static class PngFile
{
    /// <summary>Writes one image as a PNG at <paramref name="path"/>.</summary>
    public static void Write(string path, RgbImage image) => WriteAll([(path, image)]);

    /// <summary>
    /// Writes each image to its path; either all files appear or, on an error, none does (and
    /// the error names the path). Throws <see cref="InvalidInputException"/> when a destination
    /// cannot be written.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, RgbImage Image)> files)
    {
        var temporary = new List<string>(files.Count);
        try
        {
            foreach ((string path, RgbImage image) in files)
            {
                string full = Path.GetFullPath(path);
                if (Directory.Exists(full))
                    throw new InvalidInputException($"{path}: is a directory, cannot write an image there");
                string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
                temporary.Add(temp);
                try
                {
                    using Image<Rgb24> img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
                    img.SaveAsPng(temp);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new InvalidInputException($"{path}: cannot write ({e.Message})", e);
                }
            }
            for (int i = 0; i < files.Count; i++)
                File.Move(temporary[i], Path.GetFullPath(files[i].Path), overwrite: true);
            temporary.Clear();
        }
        finally
        {
            foreach (string temp in temporary)
                if (File.Exists(temp))
                    File.Delete(temp);
        }
    }
}
