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
    public static void Copy<TD, SD>(Index1D index, ArrayView<float> src, ArrayView<TD> dst,
        int rowLength, int srcStride, int dstStride, ThreadRuns runs)
        where TD : unmanaged where SD : struct, IStorage<TD>
    {
        SD storage = default;
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            int r = i / rowLength, c = i % rowLength;
            storage.Store(dst, (long)r * dstStride + c, src[(long)r * srcStride + c]);
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, ThreadRuns>? copyRows32;
    private Action<Index1D, ArrayView<float>, ArrayView<ushort>, int, int, int, ThreadRuns>? copyRows16;

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="rowLength"/> elements between strided layouts.</summary>
    public void CopyRows(ArrayView<float> src, int srcStride, ArrayView<float> dst, int dstStride, int rows, int rowLength)
    {
        if (!CheckCopyRows(src, srcStride, dst.Length, dstStride, rows, rowLength))
            return;
        copyRows32 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int,
            ThreadRuns>(CopyRowsKernels.Copy<float, Fp32Storage>, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)rows * rowLength);
        copyRows32(runs.Threads, src, dst, rowLength, srcStride, dstStride, runs);
    }

    /// <summary>
    /// As the float32 form, into a tensor stored in float32 or float16 (rounded to nearest even),
    /// starting at element <paramref name="dstOffset"/>.
    /// </summary>
    public void CopyRows(ArrayView<float> src, int srcStride, StorageTensor dst, long dstOffset, int dstStride, int rows,
        int rowLength)
    {
        if (dst.F32 is { } f32)
        {
            CopyRows(src, srcStride, f32.Slice(dstOffset, f32.Length - dstOffset), dstStride, rows, rowLength);
            return;
        }
        ArrayView<ushort> target = dst.F16!.Slice(dstOffset, dst.Length - dstOffset);
        if (!CheckCopyRows(src, srcStride, target.Length, dstStride, rows, rowLength))
            return;
        copyRows16 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>, int, int, int,
            ThreadRuns>(CopyRowsKernels.Copy<ushort, Fp16Storage>, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)rows * rowLength);
        copyRows16(runs.Threads, src, target, rowLength, srcStride, dstStride, runs);
    }

    private static bool CheckCopyRows(ArrayView<float> src, int srcStride, long dstLength, int dstStride, int rows, int rowLength)
    {
        if (rows == 0 || rowLength == 0)
            return false;
        Require(src, (long)(rows - 1) * srcStride + rowLength, "CopyRows src");
        if (dstLength < (long)(rows - 1) * dstStride + rowLength)
            throw new ArgumentException($"CopyRows dst: {dstLength} elements, the shape needs {(long)(rows - 1) * dstStride + rowLength}");
        return true;
    }
}
