namespace ArpgIlgpu;

/// <summary>
/// What a failed write of an output file becomes. A full disk (or quota) is a file-system
/// failure: an <see cref="IOException"/> naming the file, exit code 4 on the command line. Any
/// other failure there (no permission to write in the folder, a folder like /proc) means the
/// output path was a bad one: an <see cref="InvalidInputException"/>, exit code 2.
/// </summary>
public static class OutputWriteFailure
{
    /// <summary>The exception to throw for <paramref name="failure"/> while writing <paramref name="path"/>.</summary>
    public static Exception For(string path, Exception failure) => failure is IOException io && IsDiskFull(io)
        ? new IOException($"{path}: cannot write, the disk is full ({failure.Message})", failure)
        : new InvalidInputException($"{path}: cannot write ({failure.Message})", failure);

    /// <summary>ENOSPC (28 on Linux and macOS) or EDQUOT; on Windows ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL.</summary>
    public static bool IsDiskFull(IOException e) => OperatingSystem.IsWindows()
        ? (e.HResult & 0xFFFF) is 0x70 or 0x27
        : e.HResult == 28 || e.HResult == (OperatingSystem.IsLinux() ? 122 : 69);
}
