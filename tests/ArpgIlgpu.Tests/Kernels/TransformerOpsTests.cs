using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>2-D RoPE, embedding gather and strided row copies against scalar references (RMSNorm: RowReductionTests).</summary>
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
    public void EmbeddingGathersRowsAndCopyRowsAppendsToACache(string backend)
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

        // Append 2 positions of 2 rows (the 4 gathered rows) to a cache [2, capacity 5, dim] at position 3.
        const int capacity = 5, start = 3, n = 2;
        using var cache = new Tensor<float>(device, 2, capacity, dim);
        cache.Clear();
        device.Ops.CopyRows(tout.View, n * dim, cache.Slice(start * dim, cache.Length - start * dim), capacity * dim, 2, n * dim);
        float[] c = cache.ToArray();
        for (int b = 0; b < 2; b++)
        for (int p = 0; p < capacity; p++)
        for (int d = 0; d < dim; d++)
        {
            float want = p >= start ? gathered[(b * n + p - start) * dim + d] : 0f;
            Assert.Equal(want, c[(b * capacity + p) * dim + d]);
        }
    }
}
