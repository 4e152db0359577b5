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
    public static void Gather<TT, ST>(Index1D index, ArrayView<int> ids, ArrayView<TT> table, ArrayView<float> output, int dim,
        ThreadRuns runs)
        where TT : unmanaged where ST : struct, IStorage<TT>
    {
        ST storage = default;
        for (int i = runs.First(index); i < runs.End(index); i++)
            output[i] = storage.Load(table, (long)ids[i / dim] * dim + i % dim);
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, ThreadRuns>? embedding32;
    private Action<Index1D, ArrayView<int>, ArrayView<ushort>, ArrayView<float>, int, ThreadRuns>? embedding16;

    /// <summary>output[r, :] = table[ids[r], :]. ids: [rows]; table: [vocab, dim]; output: [rows, dim].</summary>
    public void Embedding(ArrayView<int> ids, ArrayView<float> table, ArrayView<float> output, int rows, int dim)
    {
        if (!CheckEmbedding(ids, output, rows, dim))
            return;
        embedding32 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, int, ThreadRuns>(EmbeddingKernels.Gather<float, Fp32Storage>, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)rows * dim);
        embedding32(runs.Threads, ids, table, output, dim, runs);
    }

    /// <summary>As the float32 form, from a table stored in float32 or float16.</summary>
    public void Embedding(ArrayView<int> ids, StorageTensor table, ArrayView<float> output, int rows, int dim)
    {
        if (table.F32 is { } f32)
        {
            Embedding(ids, f32.View, output, rows, dim);
            return;
        }
        if (!CheckEmbedding(ids, output, rows, dim))
            return;
        embedding16 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<ushort>,
            ArrayView<float>, int, ThreadRuns>(EmbeddingKernels.Gather<ushort, Fp16Storage>, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)rows * dim);
        embedding16(runs.Threads, ids, table.F16!.View, output, dim, runs);
    }

    private static bool CheckEmbedding(ArrayView<int> ids, ArrayView<float> output, int rows, int dim)
    {
        Require(ids, rows, "Embedding ids");
        Require(output, (long)rows * dim, "Embedding output");
        return rows > 0;
    }
}
