namespace ArpgIlgpu.Kernels.Reference;

/// <summary>The tensor-core GEMM's arithmetic on the host: activations rounded to fp16 first, then the product in double.</summary>
public static class TensorCoreGemmReference
{
    /// <summary>
    /// y[m, n] = sum_k half(x[m, k]) w[n, k] (+ y0[m, n]), half() rounding to the nearest fp16
    /// value (ties to even), as the tensor-core kernel stages x. x: [M, K], w: [N, K] (fp16 values
    /// for that kernel), y0 and the result: [M, N].
    /// </summary>
    public static float[] Gemm(float[] x, float[] w, float[]? y0, int m, int n, int k) =>
        GemmReference.Gemm(x.Select(v => (float)(Half)v).ToArray(), w, y0, m, n, k);
}
