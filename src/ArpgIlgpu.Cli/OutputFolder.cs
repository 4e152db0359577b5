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

    /// <summary>The file name of image <paramref name="index"/>: 0007_class207.png, or 0007.png without a class.</summary>
    public static string ImageName(int index, int? classLabel) =>
        classLabel is int c ? $"{index:D4}_class{c}.png" : $"{index:D4}.png";
}
