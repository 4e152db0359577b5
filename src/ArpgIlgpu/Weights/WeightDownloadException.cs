namespace ArpgIlgpu.Weights;

/// <summary>
/// A download failed for a reason outside the user's input: the server (404, refused, timed out,
/// dropped), the bytes (size or checksum mismatch), or the disk (full). The message is one line
/// that names the URL or file; the command line prints it and exits with code 3.
/// </summary>
public sealed class WeightDownloadException : Exception
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public WeightDownloadException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the underlying error.</summary>
    public WeightDownloadException(string message, Exception inner) : base(message, inner) { }
}
