namespace ArpgIlgpu.Kernels.Reference;

/// <summary>The convolution as PyTorch defines it, on host arrays in double precision: what the kernels are checked against.</summary>
public static class Conv2dReference
{
    /// <summary>
    /// y[b, co, oy, ox] = bias[co] + sum_{ci, ky, kx} w[co, ci, ky, kx] x[b, ci, oy*S+ky-P, ox*S+kx-P],
    /// zero outside the input (<see cref="Conv2dShape"/>), each sum in double, rounded once.
    /// x: [B, Cin, H, W]; w: [Cout, Cin, k, k]; bias: [Cout] -> y: [B, Cout, OH, OW].
    /// </summary>
    public static float[] Conv2d(float[] x, float[] w, float[] bias, Conv2dShape s)
    {
        var y = new float[s.OutputLength];
        int k = s.Kernel;
        for (int b = 0; b < s.Batch; b++)
        for (int co = 0; co < s.OutChannels; co++)
        for (int oy = 0; oy < s.OutHeight; oy++)
        for (int ox = 0; ox < s.OutWidth; ox++)
        {
            double acc = bias[co];
            for (int ci = 0; ci < s.InChannels; ci++)
            for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                int iy = oy * s.Stride + ky - s.Pad, ix = ox * s.Stride + kx - s.Pad;
                if (iy < 0 || iy >= s.InHeight || ix < 0 || ix >= s.InWidth)
                    continue;
                acc += (double)w[((co * s.InChannels + ci) * k + ky) * k + kx]
                       * x[((b * s.InChannels + ci) * s.InHeight + iy) * s.InWidth + ix];
            }
            y[((b * s.OutChannels + co) * s.OutHeight + oy) * s.OutWidth + ox] = (float)acc;
        }
        return y;
    }
}
