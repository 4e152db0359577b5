namespace ArpgIlgpu.Weights;

/// <summary>What a download is doing.</summary>
public enum DownloadStage
{
    /// <summary>Bytes are arriving.</summary>
    Receiving,

    /// <summary>The connection dropped or stalled; the download continues from the bytes kept.</summary>
    Resuming,

    /// <summary>All bytes arrived; the SHA-256 of the file is being computed.</summary>
    Verifying,
}

/// <summary>A progress report of one download.</summary>
/// <param name="FileName">The file being downloaded.</param>
/// <param name="Stage">What the download is doing.</param>
/// <param name="ReceivedBytes">Bytes of the file on disk so far (including those of earlier attempts).</param>
/// <param name="TotalBytes">The file's size when the server or the manifest says it, else null.</param>
/// <param name="Reason">Why the download is resuming (for <see cref="DownloadStage.Resuming"/>), else null.</param>
public readonly record struct DownloadProgress(
    string FileName, DownloadStage Stage, long ReceivedBytes, long? TotalBytes, string? Reason = null);
