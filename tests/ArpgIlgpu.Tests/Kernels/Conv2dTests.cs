using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using ILGPU;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class Conv2dTests
{
    public static IEnumerable<object[]> Shapes() =>
    [
        // 3x3 "same": odd sizes, channel counts not multiples of the 4 x 4 register block
        [Conv2dShape.Same(batch: 2, inChannels: 3, outChannels: 5, height: 7, width: 9, kernel: 3)],
        [Conv2dShape.Same(1, 1, 1, 1, 1, 3)],                       // one pixel, all padding around it
        [Conv2dShape.Same(1, 6, 1, 5, 3, 3)],                       // one output channel
        [Conv2dShape.Same(3, 2, 7, 4, 13, 3)],
        [Conv2dShape.Same(1, 3, 13, 6, 19, 3)],                     // ragged tiles and channel blocks
        [Conv2dShape.Same(2, 9, 17, 11, 8, 3)],
        // 70 output channels: 18 blocks of 4, one whole group of 16 and a partial one (the padded kernel)
        [Conv2dShape.Same(2, 3, 70, 3, 5, 3)],
        // wider, channels a multiple of 8
        [Conv2dShape.Same(2, 5, 16, 3, 33, 3)],
        [Conv2dShape.Same(1, 3, 8, 4, 32, 3)],
        // 1x1 (nin_shortcut, attention projections, quant_conv)
        [Conv2dShape.Same(2, 7, 6, 3, 5, 1)],
        [Conv2dShape.Same(1, 1, 9, 2, 2, 1)],
        // 1x1 with output channels a multiple of 8: the plane-sweeping kernel, in one span and in
        // two (23 x 25 = 575 positions, over its 512)
        [Conv2dShape.Same(1, 3, 8, 2, 3, 1)],
        [Conv2dShape.Same(2, 5, 16, 23, 25, 1)],
        // the encoder's downsampling: pad (0, 1, 0, 1), 3x3 stride 2
        [Conv2dShape.Downsample(batch: 2, channels: 5, height: 8, width: 6)],
        [Conv2dShape.Downsample(1, 1, 2, 2)],
        [Conv2dShape.Downsample(1, 3, 10, 14)],
    ];

    /// <summary>
    /// Tile edges of the implicit GEMM (64 output channels x 64 pixels, 16 input channels per
    /// step): 63, 64 and 65 channels and pixels, channel counts off the 16-channel slice, both
    /// kernel sizes, strides 1 and 2, padding on every side or only after (the downsampling).
    /// </summary>
    public static IEnumerable<object[]> TileEdgeShapes() =>
    [
        [Conv2dShape.Same(batch: 1, inChannels: 16, outChannels: 64, height: 8, width: 8, kernel: 3)], // one whole tile
        [Conv2dShape.Same(1, 17, 65, 7, 9, 3)],          // 63 pixels, 65 channels
        [Conv2dShape.Same(1, 33, 63, 5, 13, 3)],         // 65 pixels, 63 channels
        [Conv2dShape.Same(2, 32, 128, 16, 16, 3)],       // 8 x 2 tiles, two slices per tap
        [Conv2dShape.Same(2, 20, 70, 9, 15, 1)],         // 1x1 over 270 pixels
        [Conv2dShape.Downsample(batch: 2, channels: 65, height: 16, width: 18)],
        [new Conv2dShape(1, 5, 9, 9, 7, 5, 5, Kernel: 3, Stride: 2, Pad: 1)],
        [new Conv2dShape(2, 19, 8, 10, 66, 4, 5, Kernel: 1, Stride: 2, Pad: 0)],
    ];

    /// <summary>Shapes small enough for the GPU simulators, whose groups of 256 threads run as OS threads.</summary>
    public static IEnumerable<object[]> SimulatorShapes() =>
    [
        [Conv2dShape.Same(1, 3, 5, 4, 5, 3)],
        [Conv2dShape.Same(2, 17, 20, 5, 7, 3)],          // two pixel tiles, two slices per tap
        [Conv2dShape.Same(1, 20, 9, 3, 17, 1)],
        [Conv2dShape.Downsample(1, 5, 6, 8)],
        [new Conv2dShape(1, 4, 7, 7, 6, 4, 4, Kernel: 3, Stride: 2, Pad: 1)],
        [Conv2dShape.Same(1, 1, 1, 1, 1, 3)],
    ];

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void MatchesScalarReference(string backend, Conv2dShape s)
    {
        ComputeDevice device = TestDevices.Get(backend);
        // Conv2d takes Winograd's F(4x4, 3x3) for 3x3 "same" shapes (tiles past the edges,
        // channel blocks, batches); the general kernel must agree too, and so must the
        // plane-sweeping one, on every backend
        CheckKernel(device, s, "Conv2d", device.Ops.Conv2d);
        CheckKernel(device, s, "general kernel", device.Ops.Conv2dBlocked);
        if (Conv2dKernels.PointwiseTakes(s))
            CheckKernel(device, s, "plane kernel", device.Ops.Conv2dPointwiseRows);
    }

    /// <summary>
    /// Winograd's passes over runs of tiles: 3 tiles per pass, so that passes end inside a tile
    /// row and inside an image, and the last one is short (2 images of 3 x 3 tiles: 18 tiles).
    /// </summary>
    [Theory, CpuCases(nameof(WinogradPassShapes)), OpenClCases(nameof(WinogradPassShapes))]
    public void WinogradPassesOfAFewTilesMatchTheReference(string backend, Conv2dShape s)
    {
        ComputeDevice device = TestDevices.Get(backend);
        long threeTiles = 3L * Conv2dWinogradKernels.Points * (s.InChannels + s.OutChannels);
        CheckKernel(device, s, "winograd in passes of 3 tiles",
            (x, w, b, y, shape, accumulate) => device.Ops.Conv2dWinograd(x, w, b, y, shape, accumulate, threeTiles));
    }

    public static IEnumerable<object[]> WinogradPassShapes() =>
    [
        [Conv2dShape.Same(batch: 2, inChannels: 17, outChannels: 6, height: 11, width: 9, kernel: 3)],
        [Conv2dShape.Same(1, 4, 33, 4, 5, 3)],
    ];

    /// <summary>
    /// Winograd's F(4x4, 3x3) at the VQ's channel counts (the transforms' coefficients up to 8
    /// and 1/24 cost accuracy as channels add up): 128 and 512 input channels on small images.
    /// </summary>
    [Theory, OpenClCases(nameof(WinogradWideShapes))]
    public void WinogradAtTheVqsChannelCountsMatchesTheReference(string backend, Conv2dShape s)
    {
        ComputeDevice device = TestDevices.Get(backend);
        CheckKernel(device, s, "winograd", (x, w, b, y, shape, accumulate) => device.Ops.Conv2dWinograd(x, w, b, y, shape, accumulate));
    }

    public static IEnumerable<object[]> WinogradWideShapes() =>
    [
        [Conv2dShape.Same(batch: 1, inChannels: 128, outChannels: 128, height: 12, width: 12, kernel: 3)],
        [Conv2dShape.Same(1, 512, 64, 8, 8, 3)],
    ];

    [Theory, OpenClGpuCases(nameof(TileEdgeShapes)), OpenClGpuCases(nameof(Shapes)), SimulatorCases(nameof(SimulatorShapes))]
    public void ImplicitGemmMatchesScalarReference(string backend, Conv2dShape s)
    {
        ComputeDevice device = TestDevices.Get(backend);
        CheckKernel(device, s, "implicit GEMM", device.Ops.Conv2dImplicitGemm);
        // the GPU profile's Conv2d is the implicit GEMM
        CheckKernel(device, s, "Conv2d", device.Ops.Conv2d);
    }

    /// <summary>A convolution kernel's wrapper: y (+)= conv2d(x, weight) + bias.</summary>
    private delegate void Convolution(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> y, Conv2dShape s, bool accumulate);

    /// <summary>Checks one kernel against the double reference, accumulating into y and overwriting it.</summary>
    private static void CheckKernel(ComputeDevice device, Conv2dShape s, string what, Convolution convolution)
    {
        var rng = new Random(s.GetHashCode());
        float[] x = TestData.Normal(rng, (int)s.InputLength), w = TestData.Normal(rng, (int)s.WeightLength);
        float[] bias = TestData.Normal(rng, s.OutChannels), y0 = TestData.Normal(rng, (int)s.OutputLength);
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var tw = Tensor<float>.FromArray(device, w, w.Length);
        using var tb = Tensor<float>.FromArray(device, bias, bias.Length);
        using var ty = Tensor<float>.FromArray(device, y0, y0.Length);
        float[] expected = Conv2dReference.Conv2d(x, w, bias, s);
        // float32 sums of Cin*k*k products against a double reference; the absolute term covers
        // sums that cancel towards zero (rounding grows like sqrt(terms)).
        float atol = 1e-5f * MathF.Sqrt(s.InChannels * s.Kernel * s.Kernel);

        convolution(tx.View, tw.View, tb.View, ty.View, s, accumulate: true);
        TestData.AssertClose(expected.Select((e, i) => e + y0[i]).ToArray(), ty.ToArray(), rtol: 1e-4f, atol: atol,
            $"{what}, accumulated");
        convolution(tx.View, tw.View, tb.View, ty.View, s, accumulate: false);
        TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-4f, atol: atol, what);
    }
}
