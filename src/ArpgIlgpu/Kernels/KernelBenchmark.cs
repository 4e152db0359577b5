using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>One op at one shape: its best time, and the rates that implies.</summary>
/// <param name="Op">The op and variant.</param>
/// <param name="Shape">The shape, as text.</param>
/// <param name="Seconds">Best time of a few runs.</param>
/// <param name="Flops">FLOPs of one run.</param>
/// <param name="Bytes">Bytes one run must move at least (inputs read once, outputs written once).</param>
/// <param name="Peaks">The device's measured peaks.</param>
public sealed record KernelTiming(string Op, string Shape, double Seconds, double Flops, double Bytes, DevicePeaks Peaks)
{
    /// <summary>Achieved GFLOP/s.</summary>
    public double Gflops => Flops / Seconds / 1e9;
    /// <summary>Achieved GB/s.</summary>
    public double Gbs => Bytes / Seconds / 1e9;
    /// <summary>Over the copy probe's bandwidth.</summary>
    public double FractionOfBandwidth => Gbs / Peaks.CopyBandwidthGBs;
    /// <summary>Over the GEMM probe's rate.</summary>
    public double FractionOfGemm => Gflops / Peaks.GemmGflops;
}

/// <summary>
/// The kernel micro-benchmark behind <c>arpg bench kernels</c>: every op of the transformer and
/// the VQ at the shapes ARPG-L and VQ-16 use (decoding at batch 1, the head, a large-batch GEMM,
/// the VQ's largest maps), each timed after a warm-up, as llm.c's dev/cuda harness does.
/// </summary>
public static class KernelBenchmark
{
    /// <summary>Times every case on a device.</summary>
    public static IReadOnlyList<KernelTiming> Run(ComputeDevice device, DevicePeaks peaks, Action<string>? progress = null)
    {
        var results = new List<KernelTiming>();
        Ops ops = device.Ops;
        var rng = new Random(1);
        Tensor<float> F(params int[] shape)
        {
            var data = new float[Tensor<float>.ElementCount(shape)];
            for (int i = 0; i < data.Length; i++)
                data[i] = (float)(rng.NextDouble() - 0.5);
            return Tensor<float>.FromArray(device, data, shape);
        }
        void Time(string op, string shape, double flops, double bytes, Action run)
        {
            progress?.Invoke($"{op} {shape}");
            results.Add(new KernelTiming(op, shape, DevicePeaks.Best(device, run, repeats: 3), flops, bytes, peaks));
        }

        // GEMM: decoding (2 rows: one image with guidance), the head, a batch of 64 images
        foreach ((int m, int n, int k) in new[] { (2, 1024, 1024), (2, 2816, 1024), (2, 16384, 1024), (16, 2816, 1024), (128, 1024, 1024) })
        {
            using Tensor<float> x = F(m, k), w = F(n, k), y = F(m, n);
            using var weights = StorageTensor.Upload(device, Precision.Fp32, w.ToArray(), n, k);
            double flops = 2.0 * m * n * k, bytes = 4.0 * ((double)m * k + (double)n * k + (double)m * n);
            Time("gemm", $"{m}x{n}x{k}", flops, bytes, () => ops.Gemm(x.View, w.View, y.View, m, n, k));
            if (device.Kind == DeviceKind.Cpu)
                continue; // minutes on the CPU accelerator; the profile's GEMM shows its rate
            Time("gemm (row-blocked)", $"{m}x{n}x{k}", flops, bytes, () => ops.GemmRowBlocked(x.View, w.View, y.View, m, n, k));
            Time("gemm (gemv)", $"{m}x{n}x{k}", flops, bytes, () => ops.GemmGemv(x.View, weights, y.View, m, n, k));
            Time("gemm (tiled)", $"{m}x{n}x{k}", flops, bytes, () => ops.GemmTiled(x.View, weights, y.View, m, n, k));
        }

        // attention of 20 queries of 2 rows over a full ARPG-L cache (257 positions, 16 heads of 64)
        {
            var s = new AttentionShape(2, 20, 16, 64, 257, 257, AttentionMask.None, 0);
            using Tensor<float> q = F(2, 20, 1024), kv = F(2, 257, 1024), output = F(2, 20, 1024);
            Time("attention", "2x20 queries, 257 keys, 16x64", 4.0 * 2 * 20 * 257 * 1024,
                4.0 * (2 * 2 * 257 * 1024 + 2 * 2 * 20 * 1024), () => ops.Attention(q.View, kv.View, kv.View, output.View, s));
        }

        // the VQ-16 decoder's attention: one head of 512 channels over the 16 x 16 positions
        {
            var s = new AttentionShape(1, 256, 1, 512, 256, 256, AttentionMask.None, 0);
            using Tensor<float> q = F(256, 512), kv = F(256, 512), output = F(256, 512);
            Time("attention", "VQ: 256 positions, 1x512", 4.0 * 256 * 256 * 512, 4.0 * 4 * 256 * 512,
                () => ops.Attention(q.View, kv.View, kv.View, output.View, s));
        }

        // row-wise ops of a decoding step: 40 rows of 1024
        {
            using Tensor<float> x = F(40, 1024), w = F(1024), y = F(40, 1024);
            Time("rmsnorm", "40x1024", 3.0 * 40 * 1024, 4.0 * 2 * 40 * 1024, () => ops.RmsNorm(x.View, w.View, 1e-5f, y.View, 40, 1024));
            using Tensor<float> gateUp = F(40, 2 * 2816), g = F(40, 2816);
            Time("silu*mul", "40x2816", 5.0 * 40 * 2816, 4.0 * 3 * 40 * 2816, () => ops.SiluMul(gateUp.View, g.View, 40, 2816));
        }

        // guidance + argmax or draw over the head's output: 2 rows x 20 queries x 16384 codes
        // (bytes: both halves read once, as the fused GPU kernels do)
        {
            using Tensor<float> logits = F(2, 20, 16384);
            using var tokens = new Tensor<int>(device, 20);
            using var images = Tensor<int>.FromArray(device, [0], 1);
            using var positions = Tensor<int>.FromArray(device, Enumerable.Range(0, 20).ToArray(), 20);
            Time("guide+argmax", "2x20x16384", 4.0 * 20 * 16384, 4.0 * 2 * 20 * 16384,
                () => ops.GuideAndArgmax(logits.View, 1, 20, 16384, 4f, tokens.View));
            Time("guide+sample", "2x20x16384", 6.0 * 20 * 16384, 4.0 * 2 * 20 * 16384,
                () => ops.GuideAndSample(logits.View, 1, 20, 16384, 4f, 1f, images.View, positions.View, 0, 1, tokens.View));
        }

        // the VQ-16 decoder's 3x3 convolutions, level by level (channels in -> out at size x size),
        // with each CPU variant beside the profile's choice
        foreach ((int cin, int cout, int size) in new[] { (512, 512, 16), (512, 512, 32), (256, 256, 64), (128, 128, 128), (128, 128, 256) })
        {
            if (device.Kind == DeviceKind.Cpu && size > 64)
                continue; // minutes on the CPU accelerator; the smaller cases show its rates
            using Tensor<float> x = F(1, cin, size, size), w = F(cout, cin, 3, 3), bias = F(cout), y = F(1, cout, size, size);
            var shape = Conv2dShape.Same(1, cin, cout, size, size, 3);
            double flops = 2.0 * size * size * 9 * cin * cout;
            double bytes = 4.0 * ((double)(cin + cout) * size * size + 9.0 * cin * cout);
            string text = $"{cin}->{cout} at {size}x{size}";
            Time("conv3x3", text, flops, bytes, () => ops.Conv2d(x.View, w.View, bias.View, y.View, shape));
            if (device.Profile.Name == KernelProfile.Gpu)
                continue;
            Time("conv3x3 (winograd)", text, flops, bytes, () => ops.Conv2dWinograd(x.View, w.View, bias.View, y.View, shape));
            Time("conv3x3 (blocked)", text, flops, bytes, () => ops.Conv2dBlocked(x.View, w.View, bias.View, y.View, shape));
        }

        // the VQ-16 decoder's GroupNorm at 128 channels
        foreach (int size in new[] { 64, 256 })
        {
            if (device.Kind == DeviceKind.Cpu && size > 64)
                continue;
            using Tensor<float> x = F(1, 128, size, size), y = F(1, 128, size, size);
            var norm = new GroupNormShape(1, 128, size * size, 32);
            using Tensor<float> gamma = F(128), beta = F(128), stats = F(norm.StatisticsLength);
            Time("groupnorm+swish", $"128 at {size}x{size}", 10.0 * 128 * size * size, 4.0 * 3 * 128 * size * size,
                () => ops.GroupNorm(x.View, gamma.View, beta.View, y.View, stats.View, norm, 1e-6f, swish: true));
        }
        return results;
    }
}
