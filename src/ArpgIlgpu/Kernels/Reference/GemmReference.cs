namespace ArpgIlgpu.Kernels.Reference;

/// <summary>The GEMM computed on the host in double precision: what every GEMM kernel is checked against.</summary>
public static class GemmReference
{
    /// <summary>
    /// y[m, n] = sum_k x[m, k] w[n, k] (+ y0[m, n] when <paramref name="y0"/> is given: the
    /// accumulating form). x: [M, K], w: [N, K] (PyTorch's Linear layout), y0 and the result: [M, N].
    /// </summary>
    public static float[] Gemm(float[] x, float[] w, float[]? y0, int m, int n, int k)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = y0 is null ? 0 : y0[i * n + j];
            for (int c = 0; c < k; c++)
                sum += (double)x[i * k + c] * w[j * k + c];
            y[i * n + j] = (float)sum;
        }
        return y;
    }
}
