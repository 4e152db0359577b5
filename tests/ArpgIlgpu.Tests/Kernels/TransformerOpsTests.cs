using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>2-D RoPE, embedding gather and the KV cache append against scalar references (RMSNorm: RowReductionTests).</summary>
public class TransformerOpsTests
{
    [Fact]
    public void RotaryTableFollowsTheTwoDimensionalLayout()
    {
        // g = 3, head_dim 8: pairs 0,1 rotate by the row, pairs 2,3 by the column,
        // frequencies base^(-2j/4) = 1 and 1/100 for base 10000.
        var table = RotaryTable.Create(gridSize: 3, headDim: 8, ropeBase: 10000f);
        Assert.Equal(10, table.Slots);
        Assert.Equal(4, table.Pairs);
        Assert.All(table.Cos.Take(4).Concat(table.Sin.Take(4)), v => Assert.Equal(0f, v)); // class slot
        int slot = 1 + 2 * 3 + 1; // row 2, column 1
        double[] angles = [2 * 1.0, 2 * 0.01, 1 * 1.0, 1 * 0.01];
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(Math.Cos(angles[j]), table.Cos[slot * 4 + j], 6);
            Assert.Equal(Math.Sin(angles[j]), table.Sin[slot * 4 + j], 6);
        }
    }

    [Theory, Cpu, OpenCl]
    public void RopeRotatesAdjacentPairsBySlot(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int rows = 5, heads = 3, headDim = 8, g = 4;
        var table = RotaryTable.Create(g, headDim, 10000f);
        int pairs = table.Pairs;
        var rng = new Random(5);
        float[] x = TestData.Normal(rng, rows * heads * headDim);
        int[] slots = [0, 1, 7, 16, 3]; // one per row (period = rows)
        using var tx = Tensor<float>.FromArray(device, x, rows, heads * headDim);
        using var ts = Tensor<int>.FromArray(device, slots, rows);
        using var tc = Tensor<float>.FromArray(device, table.Cos, table.Cos.Length);
        using var tsn = Tensor<float>.FromArray(device, table.Sin, table.Sin.Length);
        device.Ops.Rope(tx.View, ts.View, tc.View, tsn.View, rows, heads, pairs, period: rows);

        var expected = new float[x.Length];
        for (int r = 0; r < rows; r++)
        for (int h = 0; h < heads; h++)
        for (int i = 0; i < pairs; i++)
        {
            int at = (r * heads + h) * headDim + 2 * i;
            float c = table.Cos[slots[r] * pairs + i], s = table.Sin[slots[r] * pairs + i];
            expected[at] = x[at] * c - x[at + 1] * s;
            expected[at + 1] = x[at + 1] * c + x[at] * s;
        }
        TestData.AssertClose(expected, tx.ToArray(), rtol: 1e-6f, atol: 1e-6f);
        Assert.All(tx.ToArray().Take(heads * headDim), v => Assert.Equal(0f, v)); // slot 0 zeroes the row
    }

    [Theory, Cpu, OpenCl]
    public void EmbeddingGathersRows(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int vocab = 11, dim = 6;
        var rng = new Random(9);
        float[] table = TestData.Normal(rng, vocab * dim);
        int[] ids = [10, 0, 3, 3];
        using var tt = Tensor<float>.FromArray(device, table, vocab, dim);
        using var ti = Tensor<int>.FromArray(device, ids, ids.Length);
        using var tout = new Tensor<float>(device, ids.Length, dim);
        device.Ops.Embedding(ti.View, tt.View, tout.View, ids.Length, dim);
        float[] gathered = tout.ToArray();
        for (int r = 0; r < ids.Length; r++)
            Assert.Equal(table.AsSpan(ids[r] * dim, dim).ToArray(), gathered.AsSpan(r * dim, dim).ToArray());

    }

    [Theory, Cpu, OpenCl, OpenClGpu]
    public void RopeReadsAndWritesStridedRows(string backend)
    {
        // the queries of a fused q|k|v projection: the first third of rows 3 * width apart, rotated into rows of width
        ComputeDevice device = TestDevices.Get(backend);
        const int rows = 4, heads = 2, headDim = 8, width = heads * headDim;
        var table = RotaryTable.Create(3, headDim, 10000f);
        var rng = new Random(6);
        float[] qkv = TestData.Normal(rng, rows * 3 * width);
        int[] slots = [4, 9]; // shared by two images of two tokens (period 2)
        using var tx = Tensor<float>.FromArray(device, qkv, rows, 3 * width);
        using var ty = new Tensor<float>(device, rows, width);
        using var ts = Tensor<int>.FromArray(device, slots, slots.Length);
        using var tc = Tensor<float>.FromArray(device, table.Cos, table.Cos.Length);
        using var tsn = Tensor<float>.FromArray(device, table.Sin, table.Sin.Length);
        device.Ops.Rope(tx.View, 3 * width, ty.View, width, ts.View, tc.View, tsn.View, rows, heads, table.Pairs, period: 2);

        float[] expected = Enumerable.Range(0, rows).SelectMany(r =>
            Rotated(qkv.AsSpan(r * 3 * width, width).ToArray(), table, slots[r % 2], heads)).ToArray();
        TestData.AssertClose(expected, ty.ToArray(), rtol: 1e-6f, atol: 1e-6f);
        Assert.Equal(qkv, tx.ToArray()); // the source is left as it was
    }

    public static IEnumerable<object[]> CachePrecisions() => [[Precision.Fp32], [Precision.Fp16]];

    [Theory, CpuCases(nameof(CachePrecisions)), OpenClCases(nameof(CachePrecisions)), OpenClGpuCases(nameof(CachePrecisions))]
    public void AppendToCacheRotatesKeysAndStoresValuesAtTheNewPositions(string backend, Precision precision)
    {
        // 2 images append 3 tokens each at positions 2 .. 4 of caches of capacity 6, reading the
        // k and v thirds of q|k|v rows; slot period 3 (one order shared by both images)
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 2, tokens = 3, heads = 2, headDim = 4, width = heads * headDim, capacity = 6, start = 2;
        var table = RotaryTable.Create(4, headDim, 10000f);
        var rng = new Random(8);
        float[] qkv = TestData.Normal(rng, batch * tokens * 3 * width);
        int[] slots = [0, 5, 16];
        using var tx = Tensor<float>.FromArray(device, qkv, batch * tokens, 3 * width);
        using var ts = Tensor<int>.FromArray(device, slots, slots.Length);
        using var tc = Tensor<float>.FromArray(device, table.Cos, table.Cos.Length);
        using var tsn = Tensor<float>.FromArray(device, table.Sin, table.Sin.Length);
        var untouched = Enumerable.Repeat(-7f, batch * capacity * width).ToArray();
        using var kCache = StorageTensor.Upload(device, precision, untouched, batch, capacity, width);
        using var vCache = StorageTensor.Upload(device, precision, untouched, batch, capacity, width);
        device.Ops.AppendToCache(tx.View, kCache, vCache, ts.View, tc.View, tsn.View,
            new CacheAppendShape(batch, tokens, heads, table.Pairs, capacity, start, 3 * width, width, 2 * width, tokens));

        var wantK = (float[])untouched.Clone();
        var wantV = (float[])untouched.Clone();
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < tokens; t++)
        {
            int r = b * tokens + t, at = (b * capacity + start + t) * width;
            Rotated(qkv.AsSpan(r * 3 * width + width, width).ToArray(), table, slots[t], heads).CopyTo(wantK, at);
            qkv.AsSpan(r * 3 * width + 2 * width, width).CopyTo(wantV.AsSpan(at));
        }
        // float16 caches round every value once (relative error 2^-11)
        float tolerance = precision == Precision.Fp16 ? 1e-3f : 1e-6f;
        TestData.AssertClose(wantK, kCache.ToFloatArray(), rtol: tolerance, atol: tolerance, "keys");
        TestData.AssertClose(wantV, vCache.ToFloatArray(), rtol: tolerance, atol: tolerance, "values");
        Assert.All(kCache.ToFloatArray()[..(start * width)], v => Assert.Equal(-7f, v)); // earlier positions kept
    }

    /// <summary>The scalar RoPE of one row of heads: pair i of each head rotated by table[slot, i].</summary>
    private static float[] Rotated(float[] row, RotaryTable table, int slot, int heads)
    {
        int pairs = table.Pairs;
        var y = new float[row.Length];
        for (int h = 0; h < heads; h++)
        for (int i = 0; i < pairs; i++)
        {
            int at = h * 2 * pairs + 2 * i;
            double c = table.Cos[slot * pairs + i], s = table.Sin[slot * pairs + i];
            y[at] = (float)(row[at] * c - row[at + 1] * s);
            y[at + 1] = (float)(row[at + 1] * c + row[at] * s);
        }
        return y;
    }
}
