using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>RMSNorm (Zhang and Sennrich 2019), the transformer's pre-norm.</summary>
internal static class RmsNormKernels
{
    /// <summary>
    /// One thread per row r: y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight.
    /// x, y: [rows, dim]; weight: [dim]. y may alias x.
    /// </summary>
    [Kernel]
    public static void Rows(Index1D row, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y,
        int dim, float eps)
    {
        long off = (long)(int)row * dim;
        float s0 = 0f, s1 = 0f;
        int c = 0;
        for (; c + 1 < dim; c += 2)
        {
            float a = x[off + c], b = x[off + c + 1];
            s0 += a * a;
            s1 += b * b;
        }
        if (c < dim)
            s0 += x[off + c] * x[off + c];
        float inv = 1f / MathF.Sqrt((s0 + s1) / dim + eps);
        for (c = 0; c < dim; c++)
            y[off + c] = x[off + c] * inv * weight[c];
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? rmsNormRows;

    /// <summary>y = RMSNorm(x) * weight over the last dimension. x, y: [rows, dim]; weight: [dim].</summary>
    public void RmsNorm(ArrayView<float> x, ArrayView<float> weight, float eps, ArrayView<float> y, int rows, int dim)
    {
        Require(x, (long)rows * dim, "RmsNorm x");
        Require(y, (long)rows * dim, "RmsNorm y");
        Require(weight, dim, "RmsNorm weight");
        if (rows == 0)
            return;
        rmsNormRows ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, float>(RmsNormKernels.Rows, ImplicitGroupSize);
        rmsNormRows(rows, x, weight, y, dim, eps);
    }
}
