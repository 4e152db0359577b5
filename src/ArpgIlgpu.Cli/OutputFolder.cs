using ArpgIlgpu.Generation;

namespace ArpgIlgpu.Cli;

/// <summary>The --out folder: created if missing and checked writable before any work starts.</summary>
internal static class OutputFolder
{
    /// <summary>Creates the folder and proves it writable with a probe file, or throws naming --out.</summary>
    public static string Prepare(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            string probe = Path.Combine(path, $".arpg-write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException
                                  or ArgumentException)
        {
            throw new InvalidInputException($"--out {path}: cannot write there ({e.Message})", e);
        }
    }

    /// <summary>
    /// The file name of image <paramref name="index"/>: 0007_207_golden_retriever.png (the ImageNet
    /// name, <see cref="ImageNetClass.FileLabel"/>), 0007_1234.png for a class past ImageNet's, or
    /// 0007.png without a class.
    /// </summary>
    public static string ImageName(int index, int? classLabel) => classLabel switch
    {
        null => $"{index:D4}.png",
        int c when ImageNetClasses.TryGet(c, out ImageNetClass? named) => $"{index:D4}_{c}_{named.FileLabel}.png",
        int c => $"{index:D4}_{c}.png",
    };
}
