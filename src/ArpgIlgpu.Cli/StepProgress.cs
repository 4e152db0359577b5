using ArpgIlgpu.Generation;

namespace ArpgIlgpu.Cli;

/// <summary>
/// Decoding progress as a bar of steps ("images 0..3: 12/64 steps, 48/256 tokens, 3.1 s, ...").
/// On a device's first generation the kernels compile (ILGPU compiles each kernel at its first
/// launch and keeps it for the rest of the process), which makes step 1 take seconds: that is
/// said before it starts and timed when it ends.
/// </summary>
internal sealed class StepProgress : IProgress<DecodeProgress>, IDisposable
{
    private readonly ProgressDisplay display;
    private readonly ProgressBar bar;
    private bool compiling;

    /// <param name="compilingFor">The device whose kernels compile in this run's first step, or null when they are compiled already.</param>
    public StepProgress(ProgressDisplay display, string label, int steps, string? compilingFor)
    {
        this.display = display;
        if (compilingFor is not null)
        {
            display.Line($"compiling kernels for {compilingFor} (first run; cached afterwards)");
            compiling = true;
        }
        bar = display.Start(label, steps, "steps");
    }

    public void Report(DecodeProgress p)
    {
        if (compiling)
        {
            display.Line($"kernels compiled: step 1 with compilation took {ProgressBar.Duration(bar.Elapsed.TotalSeconds)}");
            compiling = false;
        }
        bar.Report(p.Step, $", {p.TokensDone}/{p.Tokens} tokens");
    }

    public void Dispose() => bar.Dispose();
}
