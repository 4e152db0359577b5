using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>Resampling of feature maps: the VQ decoder's nearest-neighbour upsampling.</summary>
internal static class ResampleKernels
{
    /// <summary>
    /// One work item per output element: y[p, oy, ox] = x[p, oy / 2, ox / 2] (PyTorch's
    /// F.interpolate(scale_factor=2, mode="nearest")). x: [planes, H, W] -> y: [planes, 2H, 2W].
    /// </summary>
    [Kernel]
    public static void UpsampleNearest2x(Index1D index, ArrayView<float> x, ArrayView<float> y, int height, int width,
        ThreadRuns runs)
    {
        int outWidth = 2 * width;
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            int ox = i % outWidth;
            int oy = i / outWidth % (2 * height);
            int plane = i / outWidth / (2 * height);
            y[i] = x[((long)plane * height + oy / 2) * width + ox / 2];
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, ThreadRuns>? upsampleNearest2x;

    /// <summary>Nearest-neighbour 2x upsampling. x: [planes, H, W] -> y: [planes, 2H, 2W] (planes = B*C).</summary>
    public void UpsampleNearest2x(ArrayView<float> x, ArrayView<float> y, int planes, int height, int width)
    {
        long length = 4L * planes * height * width;
        Require(x, (long)planes * height * width, "UpsampleNearest2x x");
        Require(y, length, "UpsampleNearest2x y");
        if (length == 0)
            return;
        upsampleNearest2x ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            int, int, ThreadRuns>(ResampleKernels.UpsampleNearest2x);
        ThreadRuns runs = Runs(length);
        upsampleNearest2x(runs.Threads, x, y, height, width, runs);
    }
}
