namespace ArpgIlgpu;

/// <summary>
/// Output files that appear whole or not at all: the content goes to a temporary file in the
/// destination's folder, which is then renamed over the destination (atomic within a folder).
/// </summary>
public static class AtomicFile
{
    /// <summary>A hidden, unique temporary name beside <paramref name="path"/>.</summary>
    public static string TemporaryPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>
    /// Calls <paramref name="write"/> with a temporary path, then renames that file to
    /// <paramref name="path"/>; on any failure the temporary file is removed. I/O failures become
    /// an <see cref="InvalidInputException"/> naming <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        if (Directory.Exists(path))
            throw new InvalidInputException($"{path}: is a directory, cannot write a file there");
        string temp = TemporaryPathFor(path);
        try
        {
            write(temp);
            File.Move(temp, Path.GetFullPath(path), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{path}: cannot write ({e.Message})", e);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
