using Spectre.Console;
using System.Diagnostics;

namespace ArpgIlgpu.Cli;

/// <summary>
/// One bar of a <see cref="ProgressDisplay"/>: "label: done/total unit, elapsed, rate, ETA".
/// Reports come from one thread; disposing prints the final state.
/// </summary>
internal sealed class ProgressBar : IDisposable
{
    private readonly ProgressDisplay display;
    private readonly ProgressTask? task;
    private readonly string label, unit;
    private readonly int total;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan nextPlainLine = TimeSpan.Zero;
    private (string Text, int Done)? pending;

    internal ProgressBar(ProgressDisplay display, ProgressTask? task, string label, int total, string unit)
    {
        (this.display, this.task, this.label, this.total, this.unit) = (display, task, label, total, unit);
    }

    /// <summary>Time since the bar started.</summary>
    public TimeSpan Elapsed => clock.Elapsed;

    /// <summary><paramref name="done"/> of the total are done; <paramref name="detail"/> is appended (", 12/64 tokens").</summary>
    public void Report(int done, string detail = "")
    {
        string text = Text(done, detail);
        if (task is not null || done >= total || clock.Elapsed >= nextPlainLine)
        {
            display.Show(task, text, done);
            nextPlainLine = clock.Elapsed + ProgressDisplay.PlainInterval;
            pending = null;
        }
        else
            pending = (text, done);
    }

    /// <summary>The text of the bar at <paramref name="done"/>: count, elapsed, rate and, until done, the ETA.</summary>
    public string Text(int done, string detail = "")
    {
        double seconds = clock.Elapsed.TotalSeconds;
        string rate = done > 0 && seconds > 0 ? $", {done / seconds:0.##} {unit}/s" : "";
        string eta = done > 0 && done < total ? $", ETA {Duration(seconds / done * (total - done))}" : "";
        return $"{label}: {done}/{total} {unit}{detail}, {Duration(seconds)}{rate}{eta}";
    }

    /// <summary>Seconds as "4.2 s" or, from a minute on, "3 min 12 s".</summary>
    public static string Duration(double seconds) =>
        seconds < 60 ? $"{seconds:F1} s" : $"{(int)(seconds / 60)} min {(int)(seconds % 60)} s";

    /// <inheritdoc />
    public void Dispose()
    {
        // a throttled last line still shows, so the log ends with where the bar stopped
        if (pending is (string text, int done))
            display.Show(task, text, done);
        display.Finished(task);
    }
}
