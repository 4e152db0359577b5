using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>Embedding lookup.</summary>
internal static class EmbeddingKernels
{
    /// <summary>
    /// One work item per output element: out[r, c] = table[ids[r], c].
    /// ids: [rows] (validated on the host); table: [vocab, dim]; out: [rows, dim].
    /// </summary>
    [Kernel]
    public static void Gather(Index1D index, ArrayView<int> ids, ArrayView<float> table, ArrayView<float> output, int dim,
        ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
            output[i] = table[(long)ids[i / dim] * dim + i % dim];
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, ThreadRuns>? embeddingGather;

    /// <summary>output[r, :] = table[ids[r], :]. ids: [rows]; table: [vocab, dim]; output: [rows, dim].</summary>
    public void Embedding(ArrayView<int> ids, ArrayView<float> table, ArrayView<float> output, int rows, int dim)
    {
        Require(ids, rows, "Embedding ids");
        Require(output, (long)rows * dim, "Embedding output");
        if (rows == 0)
            return;
        embeddingGather ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, int, ThreadRuns>(EmbeddingKernels.Gather);
        ThreadRuns runs = Runs((long)rows * dim);
        embeddingGather(runs.Threads, ids, table, output, dim, runs);
    }
}
