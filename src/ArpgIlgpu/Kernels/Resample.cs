using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>Resampling of feature maps: the VQ decoder's nearest-neighbour upsampling.</summary>
internal static class ResampleKernels
{
    /// <summary>
    /// One thread per output element (ox, oy, plane): y[p, oy, ox] = x[p, oy / 2, ox / 2]
    /// (PyTorch's F.interpolate(scale_factor=2, mode="nearest")). x: [planes, H, W] -> y: [planes, 2H, 2W].
    /// The 3-D index needs no division per element (GPUs, PoCL).
    /// </summary>
    [Kernel]
    public static void UpsampleNearest2x(Index3D index, ArrayView<float> x, ArrayView<float> y, int height, int width)
    {
        int ox = index.X, oy = index.Y, plane = index.Z;
        y[((long)plane * 2 * height + oy) * 2 * width + ox] = x[((long)plane * height + oy / 2) * width + ox / 2];
    }

    /// <summary><see cref="UpsampleNearest2x"/> for the CPU accelerator: a run of whole planes per thread.</summary>
    [Kernel]
    public static void UpsampleNearest2xPlanes(Index1D index, ArrayView<float> x, ArrayView<float> y, int height,
        int width, ThreadRuns runs)
    {
        for (int plane = runs.First(index); plane < runs.End(index); plane++)
        for (int oy = 0; oy < 2 * height; oy++)
        {
            long source = ((long)plane * height + oy / 2) * width, target = ((long)plane * 2 * height + oy) * 2 * width;
            for (int ox = 0; ox < 2 * width; ox++)
                y[target + ox] = x[source + ox / 2];
        }
    }
}

public sealed partial class Ops
{
    private Action<Index3D, ArrayView<float>, ArrayView<float>, int, int>? upsampleNearest2x;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, ThreadRuns>? upsampleNearest2xPlanes;

    /// <summary>Nearest-neighbour 2x upsampling. x: [planes, H, W] -> y: [planes, 2H, 2W] (planes = B*C).</summary>
    public void UpsampleNearest2x(ArrayView<float> x, ArrayView<float> y, int planes, int height, int width)
    {
        long length = 4L * planes * height * width;
        Require(x, (long)planes * height * width, "UpsampleNearest2x x");
        Require(y, length, "UpsampleNearest2x y");
        if (length == 0)
            return;
        if (Profile.Resample == ResampleVariant.Planes)
        {
            upsampleNearest2xPlanes ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>,
                ArrayView<float>, int, int, ThreadRuns>(ResampleKernels.UpsampleNearest2xPlanes, ImplicitGroupSize);
            ThreadRuns runs = Runs(planes);
            upsampleNearest2xPlanes(runs.Threads, x, y, height, width, runs);
            return;
        }
        upsampleNearest2x ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index3D, ArrayView<float>, ArrayView<float>,
            int, int>(ResampleKernels.UpsampleNearest2x, ImplicitGroupSize);
        upsampleNearest2x(new Index3D(2 * width, 2 * height, planes), x, y, height, width);
    }
}
