using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class ElementwiseTests
{
    [Theory, Cpu, OpenCl]
    public void SiluMulMatchesScalarReference(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(1);
        float[] a = TestData.Normal(rng, 1000), b = TestData.Normal(rng, 1000);
        using var ta = Tensor<float>.FromArray(device, a, a.Length);
        using var tb = Tensor<float>.FromArray(device, b, b.Length);
        device.Ops.SiluMulInPlace(ta.View, tb.View);
        float[] expected = a.Select((v, i) => (float)(v / (1 + Math.Exp(-v)) * b[i])).ToArray();
        TestData.AssertClose(expected, ta.ToArray(), rtol: 1e-5f, atol: 1e-6f);
    }
}
