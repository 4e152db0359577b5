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
    /// Throws an <see cref="InvalidInputException"/> naming <paramref name="path"/> unless a file can
    /// be renamed into place there: its folder exists, and the path is free or a regular file. A
    /// folder, a device node (/dev/null), a pipe or a socket is never replaced: the rename would put
    /// a regular file where the node was. Every writer calls this first; commands call it for all
    /// their outputs before the first step, so a bad output costs no work.
    /// </summary>
    public static void RequireWritable(string path)
    {
        FileKind kind = FileKinds.Of(path);
        if (kind == FileKind.Directory)
            throw new InvalidInputException($"{path}: is a directory, cannot write a file there");
        if (kind is not (FileKind.Missing or FileKind.Regular))
            throw new InvalidInputException($"{path}: is {FileKinds.Describe(kind)}; outputs are written only as regular files");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && FileKinds.Of(folder) != FileKind.Directory)
            throw new InvalidInputException($"{path}: the folder {folder} does not exist");
    }

    /// <summary>
    /// Whether <paramref name="fileName"/> is a temporary file of <see cref="TemporaryPathFor"/>
    /// (<c>.NAME.GUID.tmp</c>), and for which destination name.
    /// </summary>
    public static bool IsTemporaryName(string fileName, out string destinationName)
    {
        destinationName = "";
        const int guidLength = 32;
        if (!fileName.StartsWith('.') || !fileName.EndsWith(".tmp", StringComparison.Ordinal)
            || fileName.Length < 1 + 1 + guidLength + 4 + 1)
            return false;
        int guidStart = fileName.Length - 4 - guidLength;
        if (fileName[guidStart - 1] != '.' || !Guid.TryParseExact(fileName.AsSpan(guidStart, guidLength), "N", out _))
            return false;
        destinationName = fileName[1..(guidStart - 1)];
        return destinationName.Length > 0;
    }

    /// <summary>
    /// Deletes the temporary files left in <paramref name="folder"/> by writes that never finished
    /// (a run killed with SIGKILL, a power cut) whose destination name <paramref name="ours"/>
    /// accepts; returns how many. Only names of <see cref="TemporaryPathFor"/>'s pattern are touched.
    /// </summary>
    public static int RemoveStaleTemporaries(string folder, Func<string, bool> ours)
    {
        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            if (IsTemporaryName(Path.GetFileName(file), out string destination) && ours(destination)
                && FileKinds.Of(file) == FileKind.Regular)
            {
                File.Delete(file);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>
    /// Calls <paramref name="write"/> with a temporary path, then renames that file to
    /// <paramref name="path"/>; on any failure the temporary file is removed. I/O failures become
    /// an exception naming <paramref name="path"/> (<see cref="OutputWriteFailure"/>).
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        RequireWritable(path);
        string temp = TemporaryPathFor(path);
        try
        {
            write(temp);
            File.Move(temp, Path.GetFullPath(path), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputWriteFailure.For(path, e);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
