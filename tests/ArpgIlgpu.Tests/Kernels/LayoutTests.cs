using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>Kernels that only move data: transpose and nearest upsampling must be exact.</summary>
public class LayoutTests
{
    public static IEnumerable<object[]> Shapes() => [[1, 1, 1], [2, 3, 5], [3, 17, 1], [1, 1, 9], [2, 64, 33]];

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void TransposeSwapsTheLastTwoAxes(string backend, int batch, int rows, int cols)
    {
        ComputeDevice device = TestDevices.Get(backend);
        float[] x = TestData.Normal(new Random(rows + cols), batch * rows * cols);
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var ty = new Tensor<float>(device, x.Length);
        device.Ops.Transpose(tx.View, ty.View, batch, rows, cols);
        float[] y = ty.ToArray();
        for (int b = 0; b < batch; b++)
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            Assert.Equal(x[(b * rows + r) * cols + c], y[(b * cols + c) * rows + r]);
    }

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void UpsampleRepeatsEachPixelTwiceInBothDirections(string backend, int planes, int height, int width)
    {
        ComputeDevice device = TestDevices.Get(backend);
        float[] x = TestData.Normal(new Random(height * width), planes * height * width);
        using var tx = Tensor<float>.FromArray(device, x, x.Length);
        using var ty = new Tensor<float>(device, 4 * x.Length);
        device.Ops.UpsampleNearest2x(tx.View, ty.View, planes, height, width);
        float[] y = ty.ToArray();
        for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < 2 * height; oy++)
        for (int ox = 0; ox < 2 * width; ox++)
            Assert.Equal(x[(p * height + oy / 2) * width + ox / 2], y[(p * 2 * height + oy) * 2 * width + ox]);
    }
}
