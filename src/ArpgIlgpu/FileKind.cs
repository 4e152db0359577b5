using System.Runtime.InteropServices;

namespace ArpgIlgpu;

/// <summary>What a path names, after following symbolic links.</summary>
public enum FileKind
{
    /// <summary>Nothing is there.</summary>
    Missing,
    /// <summary>A regular file: its length is the number of bytes a read returns.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Directory,
    /// <summary>A character device (/dev/zero, /dev/null, a terminal): endless or empty, its length says nothing.</summary>
    CharacterDevice,
    /// <summary>A block device (a disk).</summary>
    BlockDevice,
    /// <summary>A named or anonymous pipe (<c>mkfifo</c>, or <c>&lt;(cat x)</c>'s /dev/fd/N): readable once, not seekable.</summary>
    Pipe,
    /// <summary>A Unix socket.</summary>
    Socket,
}

/// <summary>
/// Tells which <see cref="FileKind"/> a path is. .NET reports a character device or a pipe as an
/// ordinary file of length 0, so on Linux the kind comes from <c>statx(2)</c> (whose layout is the
/// same on every architecture); elsewhere (or without statx) only files and folders are told apart, and the byte caps
/// of <see cref="InputFile"/> still bound what a special file can make a reader take.
/// </summary>
public static class FileKinds
{
    /// <summary>The kind of <paramref name="path"/>, following symbolic links.</summary>
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsLinux() && statxAvailable)
        {
            try
            {
                return LinuxKind(path);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                statxAvailable = false; // a C library without statx (glibc before 2.28)
            }
        }
        return PortableKind(path);
    }

    /// <summary>What .NET itself tells apart: a folder, something else (taken as a file), nothing.</summary>
    private static FileKind PortableKind(string path) =>
        System.IO.Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Regular : FileKind.Missing;

    /// <summary>"a folder", "a character device", ... for messages.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "no such file",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Pipe => "a pipe",
        FileKind.Socket => "a socket",
        _ => kind.ToString(),
    };

    private static bool statxAvailable = true;

    // struct statx: stx_mode (u16) sits at byte 28 on every Linux architecture; the struct is 256 bytes.
    private const int StatxSize = 256, StatxModeOffset = 28;
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1; // STATX_TYPE: only the file type is asked for
    private const int TypeMask = 0xF000;
    private const int NoSuchEntry = 2, NotADirectory = 20;

    private static unsafe FileKind LinuxKind(string path)
    {
        byte* buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            // missing (ENOENT, ENOTDIR); anything else (no permission) is left to the open that follows, whose error says why
            return Marshal.GetLastPInvokeError() is NoSuchEntry or NotADirectory ? FileKind.Missing : PortableKind(path);
        return (*(ushort*)(buffer + StatxModeOffset) & TypeMask) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Pipe,
            0xC000 => FileKind.Socket,
            _ => FileKind.Regular, // symbolic links are followed, so none remain
        };
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern unsafe int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path,
        int flags, uint mask, byte* buffer);
}
