using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class QuantizeTests
{
    public static IEnumerable<object[]> RowShapes() => [[1, 1], [7, 8], [33, 3], [5, 17]];

    [Theory, CpuCases(nameof(RowShapes)), OpenClCases(nameof(RowShapes))]
    public void L2NormalizeRowsMatchesScalarReference(string backend, int rows, int dim)
    {
        ComputeDevice device = TestDevices.Get(backend);
        float[] x = TestData.Normal(new Random(rows * 31 + dim), rows * dim);
        for (int c = 0; c < dim; c++)
            x[c] = 0f; // a zero row stays zero (the norm is clamped to 1e-12, as F.normalize does)
        using var t = Tensor<float>.FromArray(device, x, x.Length);
        device.Ops.L2NormalizeRows(t.View, t.View, rows, dim);
        var expected = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double norm = Math.Max(1e-12, Math.Sqrt(Enumerable.Range(0, dim).Sum(c => (double)x[r * dim + c] * x[r * dim + c])));
            for (int c = 0; c < dim; c++)
                expected[r * dim + c] = (float)(x[r * dim + c] / norm);
        }
        TestData.AssertClose(expected, t.ToArray(), rtol: 1e-5f, atol: 1e-7f);
    }

    [Theory, Cpu, OpenCl]
    public void LookupGathersCodebookRowsChannelFirst(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int batch = 2, spatial = 5, size = 7, dim = 3;
        var rng = new Random(3);
        float[] codebook = TestData.Normal(rng, size * dim);
        int[] codes = Enumerable.Range(0, batch * spatial).Select(_ => rng.Next(size)).ToArray();
        codes[4] = size;   // out of the codebook: NaN, not a stray read
        codes[5] = -1;
        using var tc = Tensor<int>.FromArray(device, codes, codes.Length);
        using var tb = Tensor<float>.FromArray(device, codebook, codebook.Length);
        using var latent = new Tensor<float>(device, batch * dim * spatial);
        device.Ops.CodebookLookup(tc.View, tb.View, latent.View, batch, spatial, size, dim);
        float[] actual = latent.ToArray();
        for (int b = 0; b < batch; b++)
        for (int c = 0; c < dim; c++)
        for (int p = 0; p < spatial; p++)
        {
            int code = codes[b * spatial + p];
            float expected = code is >= 0 and < size ? codebook[code * dim + c] : float.NaN;
            Assert.Equal(expected, actual[(b * dim + c) * spatial + p]);
        }
    }

    [Theory, Cpu, OpenCl]
    public void NearestCodeIsTheArgminOfTheDistance(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        const int rows = 37, size = 50, dim = 5;
        var rng = new Random(5);
        float[] codebook = TestData.Normal(rng, size * dim);
        // Row 7 of the codebook repeats row 3: a tie, which goes to the lower index.
        Array.Copy(codebook, 3 * dim, codebook, 7 * dim, dim);
        float[] z = TestData.Normal(rng, rows * dim);
        Array.Copy(codebook, 7 * dim, z, 0, dim);
        using var tz = Tensor<float>.FromArray(device, z, z.Length);
        using var tb = Tensor<float>.FromArray(device, codebook, codebook.Length);
        using var codes = new Tensor<int>(device, rows);
        device.Ops.NearestCode(tz.View, tb.View, codes.View, rows, size, dim);
        int[] expected = Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, size)
            .Select(j => (j, d: Enumerable.Range(0, dim).Sum(c => Math.Pow(z[r * dim + c] - codebook[j * dim + c], 2))))
            .MinBy(t => t.d).j).ToArray();
        Assert.Equal(3, expected[0]);
        Assert.Equal(expected, codes.ToArray());
    }
}
