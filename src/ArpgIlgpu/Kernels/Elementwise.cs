using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>Element-wise kernels: residual add, SwiGLU's gate, swish. One thread per element.</summary>
internal static class ElementwiseKernels
{
    /// <summary>y[i] += x[i] (residual connection). x, y: [n].</summary>
    [Kernel]
    public static void AddInPlace(Index1D i, ArrayView<float> y, ArrayView<float> x) => y[i] += x[i];

    /// <summary>
    /// SwiGLU gate: g[i] = silu(a[i]) * b[i], silu(a) = a / (1 + e^-a), with a = x W1^T and
    /// b = x W3^T. Written over a, so a: [n] becomes g. a, b: [n].
    /// </summary>
    [Kernel]
    public static void SiluMulInPlace(Index1D i, ArrayView<float> a, ArrayView<float> b)
    {
        float v = a[i];
        a[i] = v / (1f + MathF.Exp(-v)) * b[i];
    }

    /// <summary>Swish (the VQ's nonlinearity): x[i] = x[i] * sigmoid(x[i]). x: [n].</summary>
    [Kernel]
    public static void SwishInPlace(Index1D i, ArrayView<float> x)
    {
        float v = x[i];
        x[i] = v / (1f + MathF.Exp(-v));
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>>? addInPlace;
    private Action<Index1D, ArrayView<float>, ArrayView<float>>? siluMulInPlace;
    private Action<Index1D, ArrayView<float>>? swishInPlace;

    /// <summary>y += x, element-wise. x, y: [n].</summary>
    public void AddInPlace(ArrayView<float> y, ArrayView<float> x)
    {
        Require(x, y.Length, "AddInPlace x");
        addInPlace ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(
            ElementwiseKernels.AddInPlace);
        addInPlace((int)y.Length, y, x);
    }

    /// <summary>a = silu(a) * b, element-wise (SwiGLU's gate). a, b: [n].</summary>
    public void SiluMulInPlace(ArrayView<float> a, ArrayView<float> b)
    {
        Require(b, a.Length, "SiluMul b");
        siluMulInPlace ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(
            ElementwiseKernels.SiluMulInPlace);
        siluMulInPlace((int)a.Length, a, b);
    }

    /// <summary>x = x * sigmoid(x), element-wise. x: [n].</summary>
    public void SwishInPlace(ArrayView<float> x)
    {
        swishInPlace ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(
            ElementwiseKernels.SwishInPlace);
        swishInPlace((int)x.Length, x);
    }
}
