using ArpgIlgpu.Kernels;
using ArpgIlgpu.Kernels.Reference;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// Attention against the double-precision reference: ThreadPerQuery on "cpu" and "opencl",
/// FlashDecoding (and its fallback for other head sizes) on "opencl+gpu" and the simulators.
/// </summary>
public class AttentionTests
{
    private static AttentionShape None(int batch, int queries, int heads, int headDim, int capacity, int length) =>
        new(batch, queries, heads, headDim, capacity, length, AttentionMask.None, 0);

    private static AttentionShape Causal(int batch, int queries, int heads, int headDim, int capacity, int length, int offset) =>
        new(batch, queries, heads, headDim, capacity, length, AttentionMask.Causal, offset);

    /// <summary>Shapes for PoCL and the CPU accelerator: ARPG-L's head size, its longest cache, tile edges.</summary>
    public static IEnumerable<object[]> Shapes() => new[]
    {
        None(2, 5, 3, 8, 9, 7),
        None(1, 1, 1, 5, 1, 1),            // a cache of length 1, odd head size (ThreadPerQuery everywhere)
        Causal(3, 6, 2, 7, 6, 6, 0),       // the training forward: query t sees keys 0..t
        Causal(2, 3, 4, 16, 12, 10, 7),    // causal with an offset (prefill after 7 cached)
        None(1, 17, 1, 33, 17, 17),        // single-head spatial attention shape
        None(2, 1, 4, 64, 260, 257),       // decoding over ARPG-L's full cache, capacity past the length
        None(2, 3, 4, 64, 2, 2),           // a cache of 2
        None(1, 3, 4, 64, 63, 63),         // caches at the 16-key tile edges
        None(1, 3, 4, 64, 64, 64),
        None(1, 3, 4, 64, 65, 65),
        Causal(1, 64, 4, 16, 64, 64, 0),   // 64 queries: one whole tile at head size 16
        Causal(1, 65, 1, 64, 65, 65, 0),   // 65 queries: tiles of 16 and a last one of 1
        Causal(1, 65, 4, 16, 66, 65, 0),   // tiles of 64 and 1
        Causal(1, 256, 1, 64, 257, 257, 1),// teacher-forced scoring: 256 queries, a class token first
        Causal(1, 5, 2, 16, 8, 8, -2),     // queries 0 and 1 see no key: zeros
        None(1, 2, 2, 16, 4, 0),           // an empty cache: zeros
        None(1, 3, 2, 128, 20, 20),        // the largest head FlashDecoding takes: 32 lanes per query
        Causal(1, 7, 2, 20, 9, 9, 1),      // 5 lanes per query, groups not a multiple of them
        None(1, 70, 1, 4, 5, 5),           // one lane per query
        None(1, 2, 1, 132, 3, 3),          // above 128: ThreadPerQuery on every profile
    }.Select(s => new object[] { s });

    /// <summary>Small shapes for the simulators, which run every thread of a group as an OS thread.</summary>
    public static IEnumerable<object[]> SimulatorShapes() => new[]
    {
        None(1, 1, 1, 16, 1, 1),
        None(1, 2, 1, 64, 66, 65),
        None(2, 3, 2, 16, 17, 17),
        Causal(1, 17, 1, 16, 20, 18, 2),
        Causal(1, 3, 1, 20, 9, 9, -1),
        None(1, 2, 1, 5, 3, 3),
    }.Select(s => new object[] { s });

    /// <summary>Shapes with the caches stored as fp16 (ARPG's --precision fp16).</summary>
    public static IEnumerable<object[]> Fp16Shapes() => new[]
    {
        None(2, 4, 4, 64, 257, 257),
        Causal(1, 65, 2, 16, 65, 65, 0),
        None(1, 2, 1, 7, 5, 5),
    }.Select(s => new object[] { s });

    public static IEnumerable<object[]> Fp16SimulatorShapes() => new[]
    {
        None(1, 3, 2, 16, 18, 17),
    }.Select(s => new object[] { s });

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes)), OpenClGpuCases(nameof(Shapes)),
     SimulatorCases(nameof(SimulatorShapes))]
    public void MatchesSoftmaxReference(string backend, AttentionShape s) =>
        CheckAgainstReference(backend, s, Precision.Fp32);

    [Theory, CpuCases(nameof(Fp16Shapes)), OpenClCases(nameof(Fp16Shapes)), OpenClGpuCases(nameof(Fp16Shapes)),
     SimulatorCases(nameof(Fp16SimulatorShapes))]
    public void Fp16CachesMatchTheReferenceOnTheirHalfValues(string backend, AttentionShape s) =>
        CheckAgainstReference(backend, s, Precision.Fp16);

    /// <summary>
    /// Attention over caches stored in <paramref name="precision"/> (the float32 ones reach the
    /// ArrayView overload) against the reference on the values as stored: the kernels read half
    /// values exactly.
    /// </summary>
    private static void CheckAgainstReference(string backend, AttentionShape s, Precision precision)
    {
        ComputeDevice device = TestDevices.Get(backend);
        (float[] q, float[] k, float[] v) = Inputs(s);
        using var tq = Tensor<float>.FromArray(device, q, q.Length);
        using var tk = StorageTensor.Upload(device, precision, k, k.Length);
        using var tv = StorageTensor.Upload(device, precision, v, v.Length);
        using var output = Tensor<float>.FromArray(device, Enumerable.Repeat(float.NaN, q.Length).ToArray(), q.Length);
        device.Ops.Attention(tq.View, tk, tv, output.View, s);
        float[] expected = AttentionReference.Attend(q, tk.ToFloatArray(), tv.ToFloatArray(), s);
        // float32 accumulation over at most a few hundred terms against a double reference
        TestData.AssertClose(expected, output.ToArray(), rtol: 1e-4f, atol: 1e-5f);
    }

    [Fact]
    public void TheGpuProfileRunsFlashDecoding() =>
        Assert.Equal(AttentionVariant.FlashDecoding, DeviceProfile.Gpu.Attention);

    /// <summary>
    /// Normal q, k, v; cache positions past KvLength hold NaN, so a kernel that reads them fails
    /// (the output starts as NaN too, so one that leaves an element unwritten fails).
    /// </summary>
    private static (float[] Q, float[] K, float[] V) Inputs(AttentionShape s)
    {
        var rng = new Random(7);
        float[] q = TestData.Normal(rng, s.Batch * s.Queries * s.Width);
        float[] k = TestData.Normal(rng, s.Batch * s.KvCapacity * s.Width);
        float[] v = TestData.Normal(rng, s.Batch * s.KvCapacity * s.Width);
        for (int b = 0; b < s.Batch; b++)
        {
            int from = (b * s.KvCapacity + s.KvLength) * s.Width, to = (b + 1) * s.KvCapacity * s.Width;
            Array.Fill(k, float.NaN, from, to - from);
            Array.Fill(v, float.NaN, from, to - from);
        }
        return (q, k, v);
    }
}
