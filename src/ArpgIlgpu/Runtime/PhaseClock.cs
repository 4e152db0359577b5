using System.Diagnostics;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// Wall-clock time per named phase (pass 1, pass 2, head, sampling, VQ decode), for benchmarks.
/// Kernels run asynchronously, so each phase synchronises the device before and after; that
/// costs a little throughput, which is why generation runs without a clock unless one is asked for.
/// </summary>
public sealed class PhaseClock(ComputeDevice device)
{
    private readonly Dictionary<string, (TimeSpan Time, int Calls)> phases = [];

    /// <summary>Phases in the order they first ran, with total time and calls.</summary>
    public IReadOnlyList<(string Phase, TimeSpan Time, int Calls)> Phases =>
        phases.Select(p => (p.Key, p.Value.Time, p.Value.Calls)).ToList();

    /// <summary>Runs <paramref name="work"/> as part of <paramref name="phase"/>.</summary>
    public void Run(string phase, Action work)
    {
        device.Synchronize();
        long start = Stopwatch.GetTimestamp();
        work();
        device.Synchronize();
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        (TimeSpan time, int calls) = phases.GetValueOrDefault(phase);
        phases[phase] = (time + elapsed, calls + 1);
    }

    /// <summary>Forgets everything measured so far (after a warm-up run).</summary>
    public void Reset() => phases.Clear();

    /// <summary>Runs <paramref name="work"/> in a phase when a clock is given, else just runs it.</summary>
    public static void Run(PhaseClock? clock, string phase, Action work)
    {
        if (clock is null)
            work();
        else
            clock.Run(phase, work);
    }
}
