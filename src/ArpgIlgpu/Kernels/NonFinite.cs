using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The non-finite flag: a run's logits watched for NaN and infinity at the cost of one read of
/// them per step, with nothing copied back until the host looks (see ParallelDecoder).
/// </summary>
internal static class NonFiniteKernels
{
    private const uint ExponentMask = 0x7F800000u;

    /// <summary>
    /// flag[0] = 1 when any x[i] is NaN or +-Inf: its exponent bits are all ones (a bit test, so
    /// no compiler's fast-math can fold it away). The flag is only ever set, never cleared, so
    /// the threads' racing stores all write the same value. x: [n] -> flag: [1].
    /// Launch: implicitly grouped, one thread per run of <see cref="ThreadRuns"/> (one element on
    /// GPUs: a warp reads 32 consecutive floats, fully coalesced; long runs on the CPU
    /// accelerator). No shared memory. Bound by bandwidth: at ARPG-L, batch 64 with guidance, a
    /// step's logits are 128 rows x ~4 queries x 16384 floats = 32 MiB, some 10 us on a GPU with
    /// 3 TB/s, small next to the step's weight reads (0.6 GB of fp16 weights per pass).
    /// </summary>
    [Kernel]
    public static void Flag(Index1D index, ArrayView<float> x, ArrayView<int> flag, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
            if ((Interop.FloatAsInt(x[i]) & ExponentMask) == ExponentMask)
                flag[0] = 1;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<int>, ThreadRuns>? flagNonFinite;

    /// <summary>Sets flag[0] to 1 when any of x is NaN or infinite; leaves it as it was otherwise. x: [n]; flag: [1].</summary>
    public void FlagNonFinite(ArrayView<float> x, ArrayView<int> flag)
    {
        Require(flag, 1, "FlagNonFinite flag");
        if (x.Length == 0)
            return;
        flagNonFinite ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ThreadRuns>(
            NonFiniteKernels.Flag, ImplicitGroupSize);
        ThreadRuns runs = Runs(x.Length);
        flagNonFinite(runs.Threads, x, flag, runs);
    }
}
