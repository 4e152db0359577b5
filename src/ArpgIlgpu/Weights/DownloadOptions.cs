namespace ArpgIlgpu.Weights;

/// <summary>How a download talks to the network.</summary>
public sealed record DownloadOptions
{
    /// <summary>A Hugging Face mirror (see <see cref="MirrorUrl"/>), or null for the official URLs.</summary>
    public Uri? Mirror { get; init; }

    /// <summary>
    /// The longest wait for a connection, for the response headers, or for the next bytes of the
    /// body; a download that stalls longer is interrupted (and resumed while attempts remain).
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a dropped or stalled connection is tried, resuming where it stopped.</summary>
    public int Attempts { get; init; } = 5;

    /// <summary>The pause before the second attempt; attempt n waits n - 1 times this.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}
