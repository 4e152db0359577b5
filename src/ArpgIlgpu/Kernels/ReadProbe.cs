using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The read-bandwidth probe of <c>arpg bench</c>: read a large buffer once and write almost
/// nothing, as a decoding step reads its weights. The copy probe writes as much as it reads, and
/// on a CPU each write first reads its cache line (write-allocate), so it understates the rate at
/// which a step can read.
/// </summary>
internal static class ReadProbeKernels
{
    /// <summary>
    /// sums[t] = sum over k &lt; run of src[t * runStride + k * itemStride]: with the caller's
    /// strides every element of src is read once and one float is written per run. src:
    /// [threads * run], sums: [threads]. Host CPUs (runStride = run, itemStride = 1) sum a
    /// contiguous run per work item, which PoCL vectorises (reassociation allowed); GPUs
    /// (runStride = 1, itemStride = threads) read src[t + k * threads], so neighbouring threads
    /// read neighbouring addresses at every k (coalesced).
    /// </summary>
    [Kernel]
    public static void SumRuns(Index1D t, ArrayView<float> src, ArrayView<float> sums, int run, int runStride, int itemStride)
    {
        float sum = 0f;
        for (int k = 0; k < run; k++)
            sum += src[t * runStride + k * itemStride];
        sums[t] = sum;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>? sumRuns;

    /// <summary>
    /// Elements each partial sum of <see cref="SumRuns"/> covers on this device: long runs on the
    /// CPU accelerator (it pays microseconds per work item), 1024 on PoCL, 256 on GPUs (65536
    /// threads for the probe's 16M floats).
    /// </summary>
    public int SumRunLength => Profile.Runs switch
    {
        ElementRuns.LongRuns => 1 << 16,
        ElementRuns.VectorRuns => 1 << 10,
        _ => 1 << 8,
    };

    /// <summary>
    /// Partial sums of src (the read probe), <see cref="SumRunLength"/> elements each: sums[t] is
    /// the sum of the t-th run of src on host CPUs, and of src[t], src[t + T], src[t + 2T], ... on
    /// GPUs (T = sums.Length). src: [sums.Length * SumRunLength].
    /// </summary>
    public void SumRuns(ArrayView<float> src, ArrayView<float> sums)
    {
        int run = SumRunLength;
        Require(src, sums.Length * run, "SumRuns src");
        if (sums.Length == 0)
            return;
        sumRuns ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(
            ReadProbeKernels.SumRuns, ImplicitGroupSize);
        int threads = (int)sums.Length;
        bool contiguous = Profile.Runs != ElementRuns.OnePerThread;
        sumRuns(threads, src, sums, run, contiguous ? run : 1, contiguous ? 1 : threads);
    }
}
