using Spectre.Console;

namespace ArpgIlgpu.Cli;

/// <summary>
/// Progress on stderr that a person can follow. Every bar has one text, made by
/// <see cref="ProgressBar"/> (count, elapsed time, rate, ETA); where it goes depends on stderr: on
/// a terminal, Spectre.Console's live display redraws it with a bar in place; redirected (CI, a
/// log file, the tests), it is a plain line, printed at most every <see cref="PlainInterval"/> and
/// always at the end. Messages (<see cref="Line"/>) go above the live bars.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    /// <summary>How often a redirected stderr gets a bar's line: often enough to follow, rarely enough for a log.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(1);

    private readonly IAnsiConsole? live;
    private readonly Lock gate = new();
    private LiveSession? session;
    private int activeBars;

    private ProgressDisplay(IAnsiConsole? live) => this.live = live;

    /// <summary>A display on stderr: live when stderr is an interactive ANSI terminal, else plain lines.</summary>
    public static ProgressDisplay OnStderr()
    {
        if (Console.IsErrorRedirected)
            return new ProgressDisplay(null);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return new ProgressDisplay(console.Profile.Capabilities is { Interactive: true, Ansi: true } ? console : null);
    }

    /// <summary>Starts a bar of <paramref name="total"/> <paramref name="unit"/>, showing 0 done; dispose it when done.</summary>
    public ProgressBar Start(string label, int total, string unit)
    {
        ProgressTask? task = null;
        if (live is not null)
        {
            lock (gate)
            {
                session ??= LiveSession.Begin(live);
                activeBars++;
                task = session.Context.AddTask(Markup.Escape(label), maxValue: total);
            }
        }
        var bar = new ProgressBar(this, task, label, total, unit);
        bar.Report(0);
        return bar;
    }

    /// <summary>A message line: above the live bars, or a plain line.</summary>
    public void Line(string text)
    {
        lock (gate)
        {
            if (session is not null)
                live!.WriteLine(text);
            else
                Console.Error.WriteLine(text);
        }
    }

    /// <summary>A bar's text changed (plain: printed as a line; live: the task redrawn).</summary>
    internal void Show(ProgressTask? task, string text, int done)
    {
        if (task is null)
        {
            Console.Error.WriteLine(text);
            return;
        }
        task.Description = Markup.Escape(text);
        task.Value = done;
    }

    /// <summary>
    /// A bar ended. Live, it leaves the screen while others run (a sample of thousands of batches
    /// keeps only its overall bar), and the display closes with the last one, leaving its final frame.
    /// </summary>
    internal void Finished(ProgressTask? task)
    {
        if (task is null)
            return;
        lock (gate)
        {
            task.StopTask();
            if (--activeBars > 0)
                session!.Context.RemoveTask(task);
            else
            {
                session!.Dispose();
                session = null;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            session?.Dispose();
            session = null;
        }
    }

    /// <summary>
    /// One Spectre.Console live progress display, running on its own task from the first bar to
    /// the last, so that bars can start and end anywhere (several devices' threads included).
    /// </summary>
    private sealed class LiveSession : IDisposable
    {
        private readonly TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task running = Task.CompletedTask;

        public ProgressContext Context { get; private set; } = null!;

        public static LiveSession Begin(IAnsiConsole console)
        {
            var session = new LiveSession();
            var started = new TaskCompletionSource<ProgressContext>(TaskCreationOptions.RunContinuationsAsynchronously);
            session.running = Task.Run(() => console.Progress()
                .AutoClear(false)
                .Columns(new SpinnerColumn(), new ElapsedTimeColumn(), new ProgressBarColumn(),
                    new TaskDescriptionColumn { Alignment = Justify.Left })
                .StartAsync(async context =>
                {
                    started.SetResult(context);
                    await session.ended.Task;
                }));
            session.Context = started.Task.GetAwaiter().GetResult();
            return session;
        }

        public void Dispose()
        {
            ended.TrySetResult();
            running.GetAwaiter().GetResult();
        }
    }
}
