using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Runtime;

/// <summary>
/// Device memory is counted before every allocation, so a request that cannot fit fails at once
/// with the bytes needed (ILGPU's CPU accelerator reports unlimited memory; its malloc would
/// "succeed" and the process be killed later), and what a failed construction took is given back.
/// </summary>
public class DeviceMemoryTests
{
    /// <summary>A fresh CPU-accelerator device that behaves as one with <paramref name="bytes"/> of memory.</summary>
    private static ComputeDevice SmallDevice(long bytes)
    {
        ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        device.LimitMemory(bytes);
        return device;
    }

    [Fact]
    public void AnAllocationThatDoesNotFitSaysHowMuchWasNeededAndWhatToChange()
    {
        using ComputeDevice device = SmallDevice(1 << 20);
        using var resident = new Tensor<float>(device, 1 << 16); // 256 KiB in use

        var e = Assert.Throws<DeviceOutOfMemoryException>(() => new Tensor<float>(device, 1 << 20));

        Assert.Equal(4L << 20, e.RequestedBytes);
        Assert.Contains("4.0 MiB more were needed", e.Message);
        Assert.Contains("256.0 KiB of the device's 1.0 MiB in use", e.Message);
        Assert.Contains("fewer images at a time or Precision.Fp16", e.Message);
        Assert.Equal(e.Message, e.Shortfall + "; try fewer images at a time or Precision.Fp16");
        Assert.Equal(256L << 10, device.AllocatedBytes); // the failed request took nothing
    }

    [Fact]
    public void TensorsReturnTheirBytesOnceWhenDisposed()
    {
        using ComputeDevice device = SmallDevice(1 << 20);
        var a = new Tensor<float>(device, 1000);
        var b = new Tensor<int>(device, 24);
        Assert.Equal(4096L, device.AllocatedBytes);

        a.Dispose();
        a.Dispose();
        Assert.Equal(96L, device.AllocatedBytes);
        b.Dispose();
        Assert.Equal(0L, device.AllocatedBytes);
    }

    [Fact]
    public void HostMemoryDevicesAlsoCountAgainstTheHostsMemory()
    {
        // The CPU accelerator reports unlimited memory: the host's own size is what stops it.
        using ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        long host = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        int rows = (int)(host >> 16) + 1; // rows x 64 KiB: just over the host's memory

        var e = Assert.Throws<DeviceOutOfMemoryException>(() => new Tensor<byte>(device, rows, 1 << 16));

        Assert.Equal((long)rows << 16, e.RequestedBytes);
        Assert.Contains("of the host's", e.Message);
        Assert.Equal(0L, device.AllocatedBytes);
    }

    [Fact]
    public void ADecodingStateThatDoesNotFitGivesBackWhatItTook()
    {
        using ComputeDevice device = SmallDevice(32 << 20);
        using var f = new FixtureSet("tiny");
        using var model = f.LoadTransformer(device);
        long weights = device.AllocatedBytes;

        // 2 x 5000 rows: the KV caches alone are 6 x 10000 x 65 x 64 x 4 bytes = 1 GB
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => model.CreateState(10_000, 11, 11));

        Assert.True(e.RequestedBytes > 100L << 20, $"{e.RequestedBytes} bytes requested");
        Assert.Equal(weights, device.AllocatedBytes);
        using var fits = model.CreateState(4, 11, 11); // the memory is usable again
    }

    [Fact]
    public void KernelScratchBuffersAreCountedAndGivenBackWithTheDevice()
    {
        // the GPU profile's int8 GEMM at M >= 64 dequantises the matrix into a float32 scratch
        // buffer (N x K x 4 bytes) that the launcher keeps for the next call
        ComputeDevice device = ComputeDevice.Open(DeviceSpec.Parse("cpu:nvidia")); // the GPU profile on a CPU
        device.LimitMemory(4 << 20);
        const int m = 65, k = 64, n = 128;
        using (var x = new Tensor<float>(device, m, k))
        using (var w = StorageTensor.Upload(device, Precision.Int8, new float[n * k], n, k))
        using (var y = new Tensor<float>(device, m, n))
        {
            long before = device.AllocatedBytes;
            device.Ops.Gemm(x.View, w, y.View, m, n, k);
            Assert.True(device.AllocatedBytes - before >= (long)n * k * sizeof(float),
                $"{device.AllocatedBytes - before} bytes counted for a {n} x {k} float32 scratch matrix");

            // a scratch matrix of 4 MiB cannot fit beside what is allocated: a clear error, not a crash later
            const int wide = 4096, deep = 256;
            using var x2 = new Tensor<float>(device, m, deep);
            using var w2 = StorageTensor.Upload(device, Precision.Int8, new float[wide * deep], wide, deep);
            using var y2 = new Tensor<float>(device, m, wide);
            var e = Assert.Throws<DeviceOutOfMemoryException>(() => device.Ops.Gemm(x2.View, w2, y2.View, m, wide, deep));
            Assert.Equal((long)wide * deep * sizeof(float), e.RequestedBytes);
        }
        device.Dispose();
        Assert.Equal(0, device.AllocatedBytes); // the scratch buffers went with the device
    }
}
