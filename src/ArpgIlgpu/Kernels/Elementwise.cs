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
    /// SwiGLU gate: g[i] = silu(a[i]) * b[i], silu(a) = a / (1 + e^-a), with a = x W1^T and
    /// b = x W3^T. Written over a, so a: [n] becomes g. a, b: [n].
    /// </summary>
    [Kernel]
    public static void SiluMulInPlace(Index1D index, ArrayView<float> a, ArrayView<float> b, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            float v = a[i];
            a[i] = v / (1f + MathF.Exp(-v)) * b[i];
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
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ThreadRuns>? addInPlace, siluMulInPlace, copy;
    private Action<Index1D, ArrayView<float>, ThreadRuns>? swishInPlace;

    /// <summary>y += x, element-wise. x, y: [n].</summary>
    public void AddInPlace(ArrayView<float> y, ArrayView<float> x)
    {
        Require(x, y.Length, "AddInPlace x");
        addInPlace ??= LoadBinary(ElementwiseKernels.AddInPlace);
        ThreadRuns runs = Runs(y.Length);
        addInPlace(runs.Threads, y, x, runs);
    }

    /// <summary>a = silu(a) * b, element-wise (SwiGLU's gate). a, b: [n].</summary>
    public void SiluMulInPlace(ArrayView<float> a, ArrayView<float> b)
    {
        Require(b, a.Length, "SiluMul b");
        siluMulInPlace ??= LoadBinary(ElementwiseKernels.SiluMulInPlace);
        ThreadRuns runs = Runs(a.Length);
        siluMulInPlace(runs.Threads, a, b, runs);
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
