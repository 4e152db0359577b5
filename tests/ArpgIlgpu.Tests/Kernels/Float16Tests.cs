using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>The integer-only half conversions against .NET's System.Half (IEEE 754 binary16).</summary>
public class Float16Tests
{
    [Fact]
    public void EveryHalfConvertsToTheSameFloatAsSystemHalf()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = Float16.ToFloat((ushort)bits);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual)
                        || (float.IsNaN(expected) && float.IsNaN(actual)), $"half bits {bits:X4}: {actual} vs {expected}");
        }
    }

    [Fact]
    public void FloatsRoundToTheSameHalfAsSystemHalf()
    {
        var rng = new Random(5);
        IEnumerable<float> Values()
        {
            // every half, and the midpoints between neighbours (ties), one float ulp either side
            for (int bits = 0; bits < 0x7C00; bits++)
            {
                float a = (float)BitConverter.UInt16BitsToHalf((ushort)bits), b = (float)BitConverter.UInt16BitsToHalf((ushort)(bits + 1));
                float mid = (a + b) / 2;
                foreach (float v in new[] { a, mid, MathF.BitDecrement(mid), MathF.BitIncrement(mid) })
                {
                    yield return v;
                    yield return -v;
                }
            }
            foreach (float v in new[] { 65504f, 65519.99f, 65520f, 1e10f, float.PositiveInfinity, float.NaN, 1e-30f, 2.98e-8f, 2.99e-8f })
            {
                yield return v;
                yield return -v;
            }
            for (int i = 0; i < 100_000; i++)
                yield return BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
        }
        foreach (float v in Values())
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)v), actual = Float16.FromFloat(v);
            if (float.IsNaN(v))
                Assert.True(float.IsNaN(Float16.ToFloat(actual)), $"{v} must stay NaN");
            else
                Assert.True(expected == actual, $"{v:R}: {actual:X4}, System.Half gives {expected:X4}");
        }
    }

    [Fact]
    public void FiniteConversionIsExactForEveryFiniteHalfAndSaturatesTheRest()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float exact = Float16.ToFloat((ushort)bits), actual = Float16.ToFloatFinite((ushort)bits);
            float expected = float.IsFinite(exact) ? exact : FiniteReading((ushort)bits);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual),
                $"half bits {bits:X4}: {actual} vs {expected}");
        }
    }

    /// <summary>What <see cref="Float16.ToFloatFinite"/> reads for exponent 31 (infinity, NaN): +-2^16 (1 + mantissa / 1024).</summary>
    private static float FiniteReading(ushort bits) =>
        ((bits & 0x8000) != 0 ? -1f : 1f) * 65536f * (1f + (bits & 0x3FF) / 1024f);

    [Theory, Cpu, OpenCl]
    public void Fp16StorageRefusesAFiniteValueBeyondHalfsRange(string backend)
    {
        // 65519.99 rounds to 65504; 65520 would round to infinity, which the fp16 GEMM reads as 65536
        ComputeDevice device = TestDevices.Get(backend);
        using (StorageTensor.Upload(device, Precision.Fp16, [65519.99f, -65504f, float.PositiveInfinity], 3)) { }
        var e = Assert.Throws<InvalidInputException>(() => StorageTensor.Upload(device, Precision.Fp16, [1f, -65520f], 2));
        Assert.Contains("element 1", e.Message);
        Assert.Contains("float16's range", e.Message);
    }

    [Theory, Cpu, OpenCl]
    public void EveryHalfConvertsOnTheDevice(string backend)
    {
        // y[0, n] = 1 * w[n, 0]: the GEMM's float16 loads convert every half on the device, where
        // a compiler or a flush-to-zero mode could treat subnormals or infinities differently.
        // The row-blocked profile's fp16 GEMM converts with Float16.ToFloatFinite: infinity and
        // NaN weights read as the finite values that conversion documents
        ComputeDevice device = TestDevices.Get(backend);
        const int n = ushort.MaxValue + 1;
        float[] halves = Enumerable.Range(0, n).Select(b => (float)BitConverter.UInt16BitsToHalf((ushort)b)).ToArray();
        using var one = Tensor<float>.FromArray(device, [1f], 1, 1);
        using var w = StorageTensor.Upload(device, Precision.Fp16, halves, n, 1);
        using var y = new Tensor<float>(device, 1, n);
        device.Ops.Gemm(one.View, w, y.View, 1, n, 1);
        float[] got = y.ToArray();
        bool finiteLoads = device.Profile.Gemm == GemmVariant.RowBlocked;
        for (int b = 0; b < n; b++)
        {
            // the sum starts at +0, so -0 comes out as +0
            // (a NaN is stored as the bits System.Half rounds it to, the quiet NaN of its sign)
            float expected = 0f + (finiteLoads && !float.IsFinite(halves[b])
                ? FiniteReading(BitConverter.HalfToUInt16Bits((Half)halves[b])) : halves[b]);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(got[b])
                        || (float.IsNaN(expected) && float.IsNaN(got[b])), $"half bits {b:X4}: {got[b]} vs {expected}");
        }
    }

    [Theory, Cpu, OpenCl]
    public void Fp16WeightsGiveTheProductOfTheRoundedWeights(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int m = 3, n = 37, k = 64;
        var rng = new Random(2);
        float[] x = TestData.Normal(rng, m * k), w = TestData.Normal(rng, n * k);
        using var tx = Tensor<float>.FromArray(device, x, m, k);
        using var wHalf = StorageTensor.Upload(device, Precision.Fp16, w, n, k);
        using var ty = new Tensor<float>(device, m, n);
        device.Ops.Gemm(tx.View, wHalf, ty.View, m, n, k);
        // the reference: the same product with each weight rounded to half first
        float[] rounded = w.Select(v => (float)(Half)v).ToArray();
        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                expected[i * n + j] = (float)Enumerable.Range(0, k).Sum(c => (double)x[i * k + c] * rounded[j * k + c]);
        TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-4f, atol: 1e-4f * MathF.Sqrt(k));
        Assert.Equal(rounded, wHalf.ToFloatArray());
    }
}
