namespace ArpgIlgpu.Imaging;

/// <summary>
/// A set of PNG files that appear together or not at all: <see cref="Add"/> writes each image to
/// a temporary file beside its destination as soon as it is ready (so a large batch need not be
/// held in memory), <see cref="Commit"/> renames them all into place, and disposing an
/// uncommitted batch deletes its temporary files.
/// </summary>
public sealed class PngBatch : IDisposable
{
    private readonly List<(string Temporary, string Destination)> pending = [];

    /// <summary>
    /// Writes every (path, image, text chunks) triple as one batch: all of them appear, or none
    /// (text: see <see cref="PngFile.Write"/>).
    /// </summary>
    public static void WriteAll(IEnumerable<(string Path, RgbImage Image, IReadOnlyDictionary<string, string> Text)> files)
    {
        using var batch = new PngBatch();
        foreach ((string path, RgbImage image, IReadOnlyDictionary<string, string> text) in files)
            batch.Add(path, image, text);
        batch.Commit();
    }

    /// <summary>
    /// Writes <paramref name="image"/> (with the text chunks <paramref name="text"/>) for <paramref name="path"/>;
    /// throws an exception naming the path on failure (<see cref="OutputWriteFailure"/>).
    /// </summary>
    public void Add(string path, RgbImage image, IReadOnlyDictionary<string, string>? text = null)
    {
        AtomicFile.RequireWritable(path);
        string temporary = AtomicFile.TemporaryPathFor(path);
        pending.Add((temporary, Path.GetFullPath(path)));
        try
        {
            PngFile.Save(temporary, image, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputWriteFailure.For(path, e);
        }
    }

    /// <summary>Moves every written image to its destination.</summary>
    public void Commit()
    {
        foreach ((string temporary, string destination) in pending)
            File.Move(temporary, destination, overwrite: true);
        pending.Clear();
    }

    /// <summary>Deletes the temporary files of images not committed.</summary>
    public void Dispose()
    {
        foreach ((string temporary, _) in pending)
            if (File.Exists(temporary))
                File.Delete(temporary);
        pending.Clear();
    }
}
