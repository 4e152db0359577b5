using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// The read probe's kernel reads every element once, in the layout the device's profile gives
/// it: each partial sum against the host's sum of its run (host CPUs) or of its strided slice
/// (GPU profile). Small integers make every sum exact in float32, in any order of addition.
/// </summary>
public class ReadProbeTests
{
    [Theory, Cpu, OpenCl, OpenClGpu]
    public void EachPartialSumIsItsRunsSum(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        int run = device.Ops.SumRunLength, threads = 3;
        var rng = new Random(run);
        float[] src = Enumerable.Range(0, threads * run).Select(_ => (float)rng.Next(-8, 9)).ToArray();
        using var tsrc = Tensor<float>.FromArray(device, src, src.Length);
        using var tsums = new Tensor<float>(device, threads);

        device.Ops.SumRuns(tsrc.View, tsums.View);

        bool contiguous = device.Profile.Runs != ElementRuns.OnePerThread;
        float[] expected = Enumerable.Range(0, threads).Select(t => Enumerable.Range(0, run)
            .Sum(k => src[contiguous ? t * run + k : t + k * threads])).ToArray();
        Assert.Equal(expected, tsums.ToArray());
        Assert.Equal(src.Sum(), tsums.ToArray().Sum());
    }
}
