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

    /// <summary>
    /// One group per row r: y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight.
    /// x, y: [rows, dim]; weight: [dim]; y may alias x (each thread writes only what it read, after
    /// the sum is complete). Launch: grid = rows, groups of <see cref="RowGroup.Size"/> (256) threads.
    /// Thread t holds the partial sum of squares of columns t, t + 256, ...: each load of the group
    /// reads 256 consecutive floats (coalesced). The 256 partials meet in 256 floats of shared memory
    /// (<see cref="RowGroup.Reduce"/>: no bank conflicts), then every thread scales its own
    /// columns. At ARPG-L (dim 1024: 4 columns per thread) it is bound by memory bandwidth and the
    /// reduction's 3 barriers; rows * dim must fit an int (the wrapper checks).
    /// </summary>
    [Kernel(ExplicitlyGrouped = true)]
    public static void GroupPerRow(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int dim, float eps)
    {
        ArrayView<float> partials = SharedMemory.Allocate<float>(RowGroup.Size);
        int off = Grid.IdxX * dim;
        float squares = 0f;
        for (int c = Group.IdxX; c < dim; c += RowGroup.Size)
            squares = MultiplyAdd.Mad(x[off + c], x[off + c], squares);
        float inv = 1f / MathF.Sqrt(RowGroup.Reduce<float, FloatSum>(partials, squares) / dim + eps);
        for (int c = Group.IdxX; c < dim; c += RowGroup.Size)
            y[off + c] = x[off + c] * inv * weight[c];
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? rmsNormRows;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? rmsNormGroups;

    /// <summary>y = RMSNorm(x) * weight over the last dimension. x, y: [rows, dim]; weight: [dim].</summary>
    public void RmsNorm(ArrayView<float> x, ArrayView<float> weight, float eps, ArrayView<float> y, int rows, int dim)
    {
        Require(x, (long)rows * dim, "RmsNorm x");
        Require(y, (long)rows * dim, "RmsNorm y");
        Require(weight, dim, "RmsNorm weight");
        if (rows == 0)
            return;
        if (Profile.Rows == RowVariant.GroupPerRow)
        {
            if ((long)rows * dim > int.MaxValue)
                throw new ArgumentException($"RmsNorm: [{rows}, {dim}] is too large for one launch");
            rmsNormGroups ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(
                RmsNormKernels.GroupPerRow);
            rmsNormGroups(new KernelConfig(rows, RowGroup.Size), x, weight, y, dim, eps);
            return;
        }
        rmsNormRows ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, float>(RmsNormKernels.Rows, ImplicitGroupSize);
        rmsNormRows(rows, x, weight, y, dim, eps);
    }
}
