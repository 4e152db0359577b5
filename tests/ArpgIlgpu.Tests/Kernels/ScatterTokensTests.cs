using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>A step's sampled tokens reach the canvases and both halves of the next pass-1 inputs.</summary>
public class ScatterTokensTests
{
    [Theory, Cpu, OpenCl, OpenClGpu]
    public void TokensLandAtTheirPositionsAndInBothGuidedHalves(string backend)
    {
        // 2 images, a step of 5 tokens of which this chunk holds the last 3 (columns 2 .. 4)
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 2, queries = 3, length = 9, width = 5, column = 2;
        int[] tokens = [11, 12, 13, 21, 22, 23], positions = [8, 0, 4];
        using var tt = Tensor<int>.FromArray(device, tokens, tokens.Length);
        using var tp = Tensor<int>.FromArray(device, positions, queries);
        using var canvas = Tensor<int>.FromArray(device, Enumerable.Repeat(-1, batch * length).ToArray(), batch, length);
        using var inputs = Tensor<int>.FromArray(device, Enumerable.Repeat(-1, 2 * batch * width).ToArray(), 2 * batch, width);

        device.Ops.ScatterTokens(tt.View, tp.View, canvas.View, inputs.View,
            new ScatterShape(batch, queries, length, width, column, FeedBack: 1));
        Assert.Equal([12, -1, -1, -1, 13, -1, -1, -1, 11, 22, -1, -1, -1, 23, -1, -1, -1, 21], canvas.ToArray());
        Assert.Equal([-1, -1, 11, 12, 13, -1, -1, 21, 22, 23, -1, -1, 11, 12, 13, -1, -1, 21, 22, 23], inputs.ToArray());

        // the last step feeds nothing back: the inputs are left alone
        inputs.Upload(Enumerable.Repeat(-1, 2 * batch * width).ToArray());
        device.Ops.ScatterTokens(tt.View, tp.View, canvas.View, inputs.View,
            new ScatterShape(batch, queries, length, width, column, FeedBack: 0));
        Assert.All(inputs.ToArray(), v => Assert.Equal(-1, v));
    }
}
