using System.Diagnostics;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Weights;

/// <summary>
/// Writes download progress for people: a line at most every <c>interval</c> while bytes arrive
/// (redrawn in place on a terminal), and one line for each resume and each verification.
/// Dispose it before writing anything else, so that a redrawn line is ended first.
/// </summary>
public sealed class DownloadProgressPrinter : IProgress<DownloadProgress>, IDisposable
{
    private readonly TextWriter writer;
    private readonly bool redrawInPlace;
    private readonly TimeSpan interval;
    private readonly Stopwatch sinceLastLine = new();
    private readonly Stopwatch sinceStart = new();
    private long startBytes = -1;
    private bool lineOpen;

    /// <summary>
    /// A printer to <paramref name="writer"/> (stderr for the command line); with
    /// <paramref name="redrawInPlace"/> progress lines overwrite each other (for a terminal, not a log).
    /// </summary>
    public DownloadProgressPrinter(TextWriter writer, bool redrawInPlace, TimeSpan? interval = null)
    {
        this.writer = writer;
        this.redrawInPlace = redrawInPlace;
        this.interval = interval ?? (redrawInPlace ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5));
    }

    /// <inheritdoc/>
    public void Report(DownloadProgress value)
    {
        switch (value.Stage)
        {
            case DownloadStage.Receiving:
                bool finished = value.ReceivedBytes == value.TotalBytes;
                if (startBytes < 0)
                    Restart(value.ReceivedBytes);
                else if (!finished && sinceLastLine.Elapsed < interval)
                    return;
                WriteProgress(Describe(value), finished);
                break;
            case DownloadStage.Resuming:
                WriteLine($"{value.FileName}: {value.Reason}; resuming at {ComputeDevice.FormatBytes(value.ReceivedBytes)}");
                startBytes = -1;
                break;
            case DownloadStage.Verifying:
                WriteLine($"{value.FileName}: computing sha256 of {ComputeDevice.FormatBytes(value.ReceivedBytes)}");
                startBytes = -1;
                break;
        }
    }

    /// <summary>Ends a progress line that is still being redrawn.</summary>
    public void Dispose()
    {
        if (lineOpen)
            writer.WriteLine();
        lineOpen = false;
    }

    private void Restart(long receivedBytes)
    {
        startBytes = receivedBytes;
        sinceStart.Restart();
    }

    private string Describe(DownloadProgress value)
    {
        string received = ComputeDevice.FormatBytes(value.ReceivedBytes);
        string of = value.TotalBytes is long total
            ? $" of {ComputeDevice.FormatBytes(total)} ({100.0 * value.ReceivedBytes / Math.Max(total, 1):0}%)"
            : "";
        double seconds = sinceStart.Elapsed.TotalSeconds;
        string rate = seconds > 0.5 ? $", {ComputeDevice.FormatBytes((long)((value.ReceivedBytes - startBytes) / seconds))}/s" : "";
        return $"{value.FileName}: {received}{of}{rate}";
    }

    private void WriteProgress(string line, bool finished)
    {
        sinceLastLine.Restart();
        if (!redrawInPlace)
        {
            writer.WriteLine(line);
            return;
        }
        // Pad so that a shorter line fully covers the one before it.
        writer.Write($"\r{line,-79}");
        lineOpen = !finished;
        if (finished)
            writer.WriteLine();
    }

    private void WriteLine(string line)
    {
        Dispose();
        writer.WriteLine(line);
    }
}
