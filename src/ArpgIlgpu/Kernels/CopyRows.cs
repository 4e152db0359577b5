using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>Strided row copies: appending new keys and values to a KV cache.</summary>
internal static class CopyRowsKernels
{
    /// <summary>
    /// One thread per element: dst[r * dstStride + c] = src[r * srcStride + c], c &lt; rowLength.
    /// Appending n new positions of B rows to a cache [B, capacity, dim] at position p is
    /// rows = B, rowLength = n*dim, srcStride = n*dim, dstStride = capacity*dim, dst offset p*dim.
    /// </summary>
    [Kernel]
    public static void Copy(Index1D index, ArrayView<float> src, ArrayView<float> dst,
        int rowLength, int srcStride, int dstStride, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            int r = i / rowLength, c = i % rowLength;
            dst[(long)r * dstStride + c] = src[(long)r * srcStride + c];
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, ThreadRuns>? copyRows;

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="rowLength"/> elements between strided layouts.</summary>
    public void CopyRows(ArrayView<float> src, int srcStride, ArrayView<float> dst, int dstStride, int rows, int rowLength)
    {
        if (rows == 0 || rowLength == 0)
            return;
        Require(src, (long)(rows - 1) * srcStride + rowLength, "CopyRows src");
        Require(dst, (long)(rows - 1) * dstStride + rowLength, "CopyRows dst");
        copyRows ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int,
            ThreadRuns>(CopyRowsKernels.Copy);
        ThreadRuns runs = Runs((long)rows * rowLength);
        copyRows(runs.Threads, src, dst, rowLength, srcStride, dstStride, runs);
    }
}
