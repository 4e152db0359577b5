using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Batched matrix transpose: between the convolutions' channel-first layout [C, H*W] and the
/// token layout [H*W, C] that attention reads.
/// </summary>
internal static class TransposeKernels
{
    /// <summary>
    /// One work item per output element: y[b, c, r] = x[b, r, c]. x: [batch, rows, cols] -> y: [batch, cols, rows].
    /// Writes are consecutive across items; reads stride by cols.
    /// </summary>
    [Kernel]
    public static void Batched(Index1D index, ArrayView<float> x, ArrayView<float> y, int rows, int cols,
        ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            int r = i % rows;
            int c = i / rows % cols;
            int b = i / rows / cols;
            y[i] = x[((long)b * rows + r) * cols + c];
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, ThreadRuns>? transposeBatched;

    /// <summary>y[b] = x[b]^T for each matrix of the batch. x: [batch, rows, cols] -> y: [batch, cols, rows].</summary>
    public void Transpose(ArrayView<float> x, ArrayView<float> y, int batch, int rows, int cols)
    {
        long length = (long)batch * rows * cols;
        Require(x, length, "Transpose x");
        Require(y, length, "Transpose y");
        if (length == 0)
            return;
        transposeBatched ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            int, int, ThreadRuns>(TransposeKernels.Batched, ImplicitGroupSize);
        ThreadRuns runs = Runs(length);
        transposeBatched(runs.Threads, x, y, rows, cols, runs);
    }
}
