using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// How a kernel's work items are split over threads: thread t handles the consecutive items
/// [t * PerThread, min((t + 1) * PerThread, Total)). On GPUs PerThread is 1 (neighbouring threads
/// touch neighbouring addresses); on PoCL it is 64 (see DeviceProfile.Runs). On ILGPU's
/// CPU accelerator every simulated thread index ends with a barrier of its group of OS threads;
/// measured on the 2-core CI machines under load, a one-element-per-thread copy of 1M floats took
/// 5 s, and the same kernel with runs of 4096 elements 10 ms. So there each thread takes a long run.
/// </summary>
/// <param name="Total">Work items.</param>
/// <param name="PerThread">Consecutive items per thread.</param>
public readonly record struct ThreadRuns(int Total, int PerThread)
{
    /// <summary>Threads to launch.</summary>
    public int Threads => (Total + PerThread - 1) / PerThread;

    /// <summary>The first item of thread <paramref name="thread"/>.</summary>
    public int First(int thread) => thread * PerThread;

    /// <summary>One past the last item of thread <paramref name="thread"/>.</summary>
    public int End(int thread) => Math.Min(thread * PerThread + PerThread, Total);
}

public sealed partial class Ops
{
    /// <summary>
    /// Threads per simulated CPU thread that the runs aim for: a few launches' worth, so that a
    /// core slowed by another process does not hold up the whole launch.
    /// </summary>
    private const int RunsPerCpuThread = 4;

    /// <summary>Items per work item on an OpenCL CPU device (PoCL): long enough to vectorise, short enough to balance.</summary>
    private const int OpenClCpuRun = 64;

    /// <summary>
    /// On PoCL, which runs each group on one core, a launch with runs of 64 items is given at
    /// least one full group per core: a kernel over 128 planes (GroupNorm's normalisation at 128
    /// channels) was 2 work items, one group, on one core of two. Larger launches keep runs of 64.
    /// </summary>
    private int FewItemsRun(int items)
    {
        long wanted = (long)Accelerator.NumMultiprocessors * ImplicitGroupSize;
        return (int)Math.Clamp((items + wanted - 1) / wanted, 1, OpenClCpuRun);
    }

    /// <summary>The split of <paramref name="total"/> work items for this device (see <see cref="ThreadRuns"/>).</summary>
    private ThreadRuns Runs(long total)
    {
        int items = checked((int)total);
        if (Profile.Runs == ElementRuns.OnePerThread || items == 0)
            return new ThreadRuns(items, 1);
        if (Profile.Runs == ElementRuns.VectorRuns)
            return new ThreadRuns(items, FewItemsRun(items));
        long threads = (long)Accelerator.MaxNumThreads * RunsPerCpuThread;
        return new ThreadRuns(items, (int)Math.Max(1, (items + threads - 1) / threads));
    }
}
