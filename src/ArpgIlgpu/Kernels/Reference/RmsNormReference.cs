namespace ArpgIlgpu.Kernels.Reference;

/// <summary>RMSNorm in double precision, the reference of Kernels/RmsNorm.cs.</summary>
public static class RmsNormReference
{
    /// <summary>y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight. x: [rows, dim]; weight: [dim] -> y: [rows, dim].</summary>
    public static float[] Normalize(float[] x, float[] weight, float eps, int rows, int dim)
    {
        var y = new float[rows * dim];
        for (int r = 0; r < rows; r++)
        {
            double squares = 0;
            for (int c = 0; c < dim; c++)
                squares += (double)x[r * dim + c] * x[r * dim + c];
            double inv = 1 / Math.Sqrt(squares / dim + eps);
            for (int c = 0; c < dim; c++)
                y[r * dim + c] = (float)(x[r * dim + c] * inv * weight[c]);
        }
        return y;
    }
}
