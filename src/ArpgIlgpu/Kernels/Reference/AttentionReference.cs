namespace ArpgIlgpu.Kernels.Reference;

/// <summary>
/// Scaled dot-product attention in double precision, on the host: what every attention kernel
/// (<see cref="AttentionKernels"/>) is checked against.
/// </summary>
public static class AttentionReference
{
    /// <summary>
    /// out[b,t,h,:] = sum_j softmax_j(q[b,t,h,:] . k[b,j,h,:] / sqrt(D)) v[b,j,h,:] over the keys
    /// query t sees (all KvLength, or 0 .. t + CausalOffset when causal); zeros where it sees none.
    /// q: [Batch, Queries, Heads*HeadDim]; k, v: [Batch, KvCapacity, Heads*HeadDim] -> out like q.
    /// The plain two-pass softmax (maximum, then sum of exponentials), not the online one.
    /// </summary>
    public static float[] Attend(float[] q, float[] k, float[] v, AttentionShape s)
    {
        var output = new float[q.Length];
        int w = s.Width, d = s.HeadDim;
        for (int b = 0; b < s.Batch; b++)
        for (int t = 0; t < s.Queries; t++)
        for (int h = 0; h < s.Heads; h++)
        {
            int visible = s.Mask == AttentionMask.Causal
                ? Math.Clamp(t + s.CausalOffset + 1, 0, s.KvLength)
                : s.KvLength;
            long qRow = ((long)b * s.Queries + t) * w + h * d;
            var scores = new double[visible];
            for (int j = 0; j < visible; j++)
            {
                long kRow = ((long)b * s.KvCapacity + j) * w + h * d;
                double dot = 0;
                for (int c = 0; c < d; c++)
                    dot += (double)q[qRow + c] * k[kRow + c];
                scores[j] = dot / Math.Sqrt(d);
            }
            double max = visible == 0 ? 0 : scores.Max();
            double sum = scores.Sum(x => Math.Exp(x - max));
            for (int c = 0; c < d; c++)
            {
                double acc = 0;
                for (int j = 0; j < visible; j++)
                    acc += Math.Exp(scores[j] - max) / sum * v[((long)b * s.KvCapacity + j) * w + h * d + c];
                output[qRow + c] = (float)acc;
            }
        }
        return output;
    }
}
