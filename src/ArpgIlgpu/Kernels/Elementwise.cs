using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Element-wise kernels: residual add, SwiGLU's gate, swish, copy. One element per work item on
/// GPUs and OpenCL, long runs per thread on the CPU accelerator (<see cref="ThreadRuns"/>).
/// </summary>
internal static class ElementwiseKernels
{
    /// <summary>y[i] += x[i] (residual connection). x, y: [n].</summary>
    [Kernel]
    public static void AddInPlace(Index1D index, ArrayView<float> y, ArrayView<float> x, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
            y[i] += x[i];
    }

    /// <summary>
    /// SwiGLU gate: g[r, j] = silu(a) * b, silu(a) = a / (1 + e^-a), with a = gateUp[r, j] (of
    /// x W1^T) and b = gateUp[r, hidden + j] (of x W3^T): the two halves of the fused w1|w3
    /// projection's rows. gateUp: [rows, 2 * hidden] -> g: [rows, hidden]. A thread's run of
    /// i = r * hidden + j is taken as its pieces within one row, so that the row and column come
    /// from one division per piece, not per element, and each piece is a loop over consecutive
    /// columns that PoCL vectorises.
    /// </summary>
    [Kernel]
    public static void SiluMul(Index1D index, ArrayView<float> gateUp, ArrayView<float> g, int hidden, ThreadRuns runs)
    {
        int end = runs.End(index);
        for (int i = runs.First(index); i < end;)
        {
            int r = i / hidden, j0 = i - r * hidden, count = Math.Min(end - i, hidden - j0);
            long a = (long)r * 2 * hidden + j0;
            for (int j = 0; j < count; j++)
            {
                float v = gateUp[a + j];
                g[i + j] = v / (1f + MathF.Exp(-v)) * gateUp[a + hidden + j];
            }
            i += count;
        }
    }

    /// <summary>Swish (the VQ's nonlinearity): x[i] = x[i] * sigmoid(x[i]). x: [n].</summary>
    [Kernel]
    public static void SwishInPlace(Index1D index, ArrayView<float> x, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            float v = x[i];
            x[i] = v / (1f + MathF.Exp(-v));
        }
    }

    /// <summary>dst[i] = src[i]: also the bandwidth probe of <c>arpg bench</c>. src, dst: [n].</summary>
    [Kernel]
    public static void Copy(Index1D index, ArrayView<float> src, ArrayView<float> dst, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
            dst[i] = src[i];
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ThreadRuns>? addInPlace, copy;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, ThreadRuns>? siluMul;
    private Action<Index1D, ArrayView<float>, ThreadRuns>? swishInPlace;

    /// <summary>y += x, element-wise. x, y: [n].</summary>
    public void AddInPlace(ArrayView<float> y, ArrayView<float> x)
    {
        Require(x, y.Length, "AddInPlace x");
        addInPlace ??= LoadBinary(ElementwiseKernels.AddInPlace);
        ThreadRuns runs = Runs(y.Length);
        addInPlace(runs.Threads, y, x, runs);
    }

    /// <summary>
    /// g = silu(a) * b, element-wise (SwiGLU's gate), with a and b the first and second halves
    /// of each row of gateUp: [rows, 2 * hidden] -> g: [rows, hidden].
    /// </summary>
    public void SiluMul(ArrayView<float> gateUp, ArrayView<float> g, int rows, int hidden)
    {
        Require(gateUp, 2L * rows * hidden, "SiluMul gateUp");
        Require(g, (long)rows * hidden, "SiluMul g");
        if (rows == 0 || hidden == 0)
            return;
        siluMul ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, ThreadRuns>(
            ElementwiseKernels.SiluMul, ImplicitGroupSize);
        ThreadRuns runs = Runs((long)rows * hidden);
        siluMul(runs.Threads, gateUp, g, hidden, runs);
    }

    /// <summary>dst = src. src, dst: [n].</summary>
    public void Copy(ArrayView<float> src, ArrayView<float> dst)
    {
        Require(dst, src.Length, "Copy dst");
        copy ??= LoadBinary(ElementwiseKernels.Copy);
        ThreadRuns runs = Runs(src.Length);
        copy(runs.Threads, src, dst, runs);
    }

    /// <summary>x = x * sigmoid(x), element-wise. x: [n].</summary>
    public void SwishInPlace(ArrayView<float> x)
    {
        swishInPlace ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ThreadRuns>(
            ElementwiseKernels.SwishInPlace, ImplicitGroupSize);
        ThreadRuns runs = Runs(x.Length);
        swishInPlace(runs.Threads, x, runs);
    }

    private Action<Index1D, ArrayView<float>, ArrayView<float>, ThreadRuns> LoadBinary(
        Action<Index1D, ArrayView<float>, ArrayView<float>, ThreadRuns> kernel) =>
        Accelerator.LoadImplicitlyGroupedStreamKernel(kernel, ImplicitGroupSize);
}
