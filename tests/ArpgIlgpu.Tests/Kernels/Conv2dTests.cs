using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class Conv2dTests
{
    /// <summary>The convolution as PyTorch defines it, in double precision, zero outside the input.</summary>
    internal static float[] Reference(float[] x, float[] w, float[] bias, Conv2dShape s)
    {
        var y = new float[s.OutputLength];
        int k = s.Kernel;
        for (int b = 0; b < s.Batch; b++)
        for (int co = 0; co < s.OutChannels; co++)
        for (int oy = 0; oy < s.OutHeight; oy++)
        for (int ox = 0; ox < s.OutWidth; ox++)
        {
            double acc = bias[co];
            for (int ci = 0; ci < s.InChannels; ci++)
            for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                int iy = oy * s.Stride + ky - s.Pad, ix = ox * s.Stride + kx - s.Pad;
                if (iy < 0 || iy >= s.InHeight || ix < 0 || ix >= s.InWidth)
                    continue;
                acc += (double)w[((co * s.InChannels + ci) * k + ky) * k + kx]
                       * x[((b * s.InChannels + ci) * s.InHeight + iy) * s.InWidth + ix];
            }
            y[((b * s.OutChannels + co) * s.OutHeight + oy) * s.OutWidth + ox] = (float)acc;
        }
        return y;
    }

    public static IEnumerable<object[]> Shapes() =>
    [
        // 3x3 "same": odd sizes, channel counts not multiples of the 4 x 4 register block
        [Conv2dShape.Same(batch: 2, inChannels: 3, outChannels: 5, height: 7, width: 9, kernel: 3)],
        [Conv2dShape.Same(1, 1, 1, 1, 1, 3)],                       // one pixel, all padding around it
        [Conv2dShape.Same(1, 6, 1, 5, 3, 3)],                       // one output channel
        [Conv2dShape.Same(3, 2, 7, 4, 13, 3)],
        [Conv2dShape.Same(1, 3, 13, 6, 19, 3)],                     // 8 x 8 blocks with ragged channels and columns
        [Conv2dShape.Same(2, 9, 17, 11, 8, 3)],
        // wide enough for the row-sweeping kernel OpenCL on CPUs takes (channels a multiple of 8)
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

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void MatchesScalarReference(string backend, Conv2dShape s)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(s.GetHashCode());
        float[] x = TestData.Normal(rng, (int)s.InputLength), w = TestData.Normal(rng, (int)s.WeightLength);
        float[] bias = TestData.Normal(rng, s.OutChannels);
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var tw = Tensor<float>.FromArray(device, w, w.Length);
        using var tb = Tensor<float>.FromArray(device, bias, bias.Length);
        float[] y0 = TestData.Normal(rng, (int)s.OutputLength);
        using var ty = Tensor<float>.FromArray(device, y0, y0.Length);
        float[] expected = Reference(x, w, bias, s);
        // float32 sums of Cin*k*k products against a double reference; the absolute term covers
        // sums that cancel towards zero (rounding grows like sqrt(terms)).
        float atol = 1e-5f * MathF.Sqrt(s.InChannels * s.Kernel * s.Kernel);

        device.Ops.Conv2d(tx.View, tw.View, tb.View, ty.View, s, accumulate: true);
        TestData.AssertClose(expected.Select((e, i) => e + y0[i]).ToArray(), ty.ToArray(), rtol: 1e-4f, atol: atol,
            "accumulated");
        device.Ops.Conv2d(tx.View, tw.View, tb.View, ty.View, s);
        TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-4f, atol: atol);

        // Conv2d takes the 8 x 8 kernel for 3x3 "same" shapes; the general one must agree too.
        ty.Upload(y0);
        device.Ops.Conv2dBlocked(tx.View, tw.View, tb.View, ty.View, s);
        TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-4f, atol: atol, "general kernel");

        // so must the row-sweeping one, on every backend, wherever it applies
        if (Conv2dKernels.RowsTake(s))
        {
            ty.Upload(y0);
            device.Ops.Conv2dSame3x3Rows(tx.View, tw.View, tb.View, ty.View, s, accumulate: true);
            TestData.AssertClose(expected.Select((e, i) => e + y0[i]).ToArray(), ty.ToArray(), rtol: 1e-4f, atol: atol,
                "row kernel, accumulated");
        }
        if (Conv2dKernels.PointwiseTakes(s))
        {
            ty.Upload(y0);
            device.Ops.Conv2dPointwiseRows(tx.View, tw.View, tb.View, ty.View, s, accumulate: true);
            TestData.AssertClose(expected.Select((e, i) => e + y0[i]).ToArray(), ty.ToArray(), rtol: 1e-4f, atol: atol,
                "plane kernel, accumulated");
            device.Ops.Conv2dPointwiseRows(tx.View, tw.View, tb.View, ty.View, s);
            TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-4f, atol: atol, "plane kernel");
        }
    }
}
