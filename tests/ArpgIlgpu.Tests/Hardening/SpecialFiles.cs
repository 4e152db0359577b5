using System.Runtime.InteropServices;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Makes the special files a user can pass where a regular file belongs: folders, devices, pipes
/// (named, with a writer that never stops or one that sends given bytes), and links to them.
/// </summary>
public static class SpecialFiles
{
    /// <summary>The kinds made by <see cref="Make"/>; every reader must refuse each in one line.</summary>
    public static readonly string[] RefusedKinds =
        ["missing", "directory", "/dev/zero", "/dev/null", "/dev/urandom", "link to /dev/zero", "link to directory", "endless pipe"];

    /// <summary>
    /// Makes a special file of <paramref name="kind"/> at <paramref name="path"/>; the returned
    /// task feeds an endless pipe until its reader hangs up (await it after the read).
    /// </summary>
    public static Task Make(string kind, string path)
    {
        switch (kind)
        {
            case "missing": break;
            case "directory": Directory.CreateDirectory(path); break;
            case "/dev/zero" or "/dev/null" or "/dev/urandom": File.CreateSymbolicLink(path, kind); break;
            case "link to /dev/zero": File.CreateSymbolicLink(path, "/dev/zero"); break;
            case "link to directory":
                Directory.CreateDirectory(path + ".d");
                Directory.CreateSymbolicLink(path, path + ".d");
                break;
            case "endless pipe": return Pipe(path, null);
            default: throw new ArgumentException(kind);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A named pipe at <paramref name="path"/> whose writer sends <paramref name="bytes"/> (or zeros
    /// without end when null) and stops when the reader hangs up.
    /// </summary>
    public static Task Pipe(string path, byte[]? bytes)
    {
        if (MakeFifo(path, 0b110_000_000) != 0)
            throw new IOException($"mkfifo {path} failed ({Marshal.GetLastPInvokeError()})");
        return Task.Run(() =>
        {
            try
            {
                using var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
                if (bytes is not null)
                {
                    writer.Write(bytes);
                    return;
                }
                var zeros = new byte[1 << 16];
                while (true)
                    writer.Write(zeros);
            }
            catch (IOException)
            {
                // the reader hung up: what an endless writer expects
            }
        });
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
