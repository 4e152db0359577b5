using ArpgIlgpu.Generation;
using System.Diagnostics;

namespace ArpgIlgpu.Cli;

/// <summary>Prints decoding progress to stderr, at most twice a second and always at the last step.</summary>
internal sealed class StepProgressPrinter(string label) : IProgress<DecodeProgress>
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan nextPrint = TimeSpan.Zero;

    public void Report(DecodeProgress p)
    {
        if (p.Step < p.Steps && clock.Elapsed < nextPrint)
            return;
        nextPrint = clock.Elapsed + TimeSpan.FromMilliseconds(500);
        Console.Error.WriteLine($"{label}: step {p.Step}/{p.Steps}, {p.TokensDone}/{p.Tokens} tokens, {clock.Elapsed.TotalSeconds:F1} s");
    }
}
