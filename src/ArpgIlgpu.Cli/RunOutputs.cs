namespace ArpgIlgpu.Cli;

/// <summary>
/// Every file a command will write, checked before its first step, so that a bad output is
/// refused before any work is done (not after the pictures are made): each one writable
/// (<see cref="AtomicFile.RequireWritable"/>: its folder exists, no directory or device there),
/// and no two of them the same file (<c>--save-tokens</c> naming one of the run's own PNGs).
/// </summary>
internal static class RunOutputs
{
    /// <summary>
    /// Checks <paramref name="outputs"/>: each the option that names it and the path; a null path
    /// (an output not asked for) is skipped. The first of two entries for one file wins; the
    /// error names the second.
    /// </summary>
    public static void Check(IEnumerable<(string Option, string? Path)> outputs)
    {
        var seen = new Dictionary<string, string>(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach ((string option, string? path) in outputs)
        {
            if (path is null)
                continue;
            try
            {
                AtomicFile.RequireWritable(path);
            }
            catch (InvalidInputException e)
            {
                throw new InvalidInputException($"{option} {e.Message}", e);
            }
            if (!seen.TryAdd(Path.GetFullPath(path), path))
                throw new InvalidInputException(
                    $"{option} {path}: this run also writes {seen[Path.GetFullPath(path)]} there; choose another file");
        }
    }
}
