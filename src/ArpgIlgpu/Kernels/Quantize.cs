using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The VQ's vector quantiser: l2-normalised rows, code -> vector lookup (decoding) and
/// vector -> nearest code search (encoding).
/// </summary>
internal static class QuantizeKernels
{
    /// <summary>
    /// One work item per row r: y[r, :] = x[r, :] / max(||x[r, :]||_2, 1e-12) (PyTorch's F.normalize).
    /// x, y: [rows, dim]; y may alias x.
    /// </summary>
    [Kernel]
    public static void L2NormalizeRows(Index1D index, ArrayView<float> x, ArrayView<float> y, int dim, ThreadRuns runs)
    {
        for (int row = runs.First(index); row < runs.End(index); row++)
            L2NormalizeRow(row, x, y, dim);
    }

    private static void L2NormalizeRow(int row, ArrayView<float> x, ArrayView<float> y, int dim)
    {
        long off = (long)row * dim;
        float sum = 0f;
        for (int c = 0; c < dim; c++)
            sum += x[off + c] * x[off + c];
        float norm = MathF.Max(MathF.Sqrt(sum), 1e-12f);
        for (int c = 0; c < dim; c++)
            y[off + c] = x[off + c] / norm;
    }

    /// <summary>
    /// One work item per latent element, channel-first: latent[b, c, p] = codebook[codes[b, p], c].
    /// codes: [B, spatial]; codebook: [size, dim]; latent: [B, dim, spatial]. A code outside the
    /// codebook (the host checks codes it is given; this guards device-made ones) yields NaN
    /// rather than a read out of bounds.
    /// </summary>
    [Kernel]
    public static void Lookup(Index1D index, ArrayView<int> codes, ArrayView<float> codebook, ArrayView<float> latent,
        int size, int dim, int spatial, ThreadRuns runs)
    {
        for (int i = runs.First(index); i < runs.End(index); i++)
        {
            int p = i % spatial;
            int c = i / spatial % dim;
            int b = i / spatial / dim;
            int code = codes[b * spatial + p];
            latent[i] = code >= 0 && code < size ? codebook[(long)code * dim + c] : float.NaN;
        }
    }

    /// <summary>
    /// One work item per row r: codes[r] = argmin_j d(z_r, e_j) with d = (|z|^2 + |e_j|^2) - 2 z.e_j,
    /// the official quantiser's expression, evaluated in its order; ties go to the lowest j (a
    /// strict less-than), as torch.argmin. z: [rows, dim]; codebook e: [size, dim].
    /// </summary>
    [Kernel]
    public static void Nearest(Index1D index, ArrayView<float> z, ArrayView<float> codebook, ArrayView<int> codes,
        int size, int dim, ThreadRuns runs)
    {
        for (int row = runs.First(index); row < runs.End(index); row++)
            codes[row] = NearestRow(row, z, codebook, size, dim);
    }

    private static int NearestRow(int row, ArrayView<float> z, ArrayView<float> codebook, int size, int dim)
    {
        long off = (long)row * dim;
        float zz = 0f;
        for (int c = 0; c < dim; c++)
            zz += z[off + c] * z[off + c];
        float best = float.PositiveInfinity;
        int bestCode = 0;
        for (int j = 0; j < size; j++)
        {
            long e = (long)j * dim;
            float ee = 0f, dot = 0f;
            for (int c = 0; c < dim; c++)
            {
                float v = codebook[e + c];
                ee += v * v;
                dot += z[off + c] * v;
            }
            float d = zz + ee - 2f * dot;
            if (d < best)
            {
                best = d;
                bestCode = j;
            }
        }
        return bestCode;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, ThreadRuns>? l2NormalizeRows;
    private Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int, ThreadRuns>? codebookLookup;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, ThreadRuns>? nearestCode;

    /// <summary>y[r, :] = x[r, :] / max(||x[r, :]||, 1e-12). x, y: [rows, dim]; y may alias x.</summary>
    public void L2NormalizeRows(ArrayView<float> x, ArrayView<float> y, int rows, int dim)
    {
        Require(x, (long)rows * dim, "L2NormalizeRows x");
        Require(y, (long)rows * dim, "L2NormalizeRows y");
        if (rows == 0)
            return;
        l2NormalizeRows ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int,
            ThreadRuns>(QuantizeKernels.L2NormalizeRows, ImplicitGroupSize);
        ThreadRuns runs = Runs(rows);
        l2NormalizeRows(runs.Threads, x, y, dim, runs);
    }

    /// <summary>
    /// latent[b, :, p] = codebook[codes[b, p], :], channel-first. codes: [batch, spatial];
    /// codebook: [size, dim]; latent: [batch, dim, spatial]. Codes outside [0, size) give NaN.
    /// </summary>
    public void CodebookLookup(ArrayView<int> codes, ArrayView<float> codebook, ArrayView<float> latent,
        int batch, int spatial, int size, int dim)
    {
        long length = (long)batch * dim * spatial;
        Require(codes, (long)batch * spatial, "CodebookLookup codes");
        Require(codebook, (long)size * dim, "CodebookLookup codebook");
        Require(latent, length, "CodebookLookup latent");
        if (length == 0)
            return;
        codebookLookup ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>,
            ArrayView<float>, int, int, int, ThreadRuns>(QuantizeKernels.Lookup, ImplicitGroupSize);
        ThreadRuns runs = Runs(length);
        codebookLookup(runs.Threads, codes, codebook, latent, size, dim, spatial, runs);
    }

    /// <summary>
    /// codes[r] = the index of the codebook row nearest to z[r, :] in Euclidean distance (lowest
    /// index on ties). z: [rows, dim]; codebook: [size, dim]; codes: [rows].
    /// </summary>
    public void NearestCode(ArrayView<float> z, ArrayView<float> codebook, ArrayView<int> codes, int rows, int size,
        int dim)
    {
        if (size < 1)
            throw new ArgumentException("NearestCode: the codebook is empty");
        Require(z, (long)rows * dim, "NearestCode z");
        Require(codebook, (long)size * dim, "NearestCode codebook");
        Require(codes, rows, "NearestCode codes");
        if (rows == 0)
            return;
        nearestCode ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<int>, int, int, ThreadRuns>(QuantizeKernels.Nearest, ImplicitGroupSize);
        ThreadRuns runs = Runs(rows);
        nearestCode(runs.Threads, z, codebook, codes, size, dim, runs);
    }
}
