using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

public class AttentionTests
{
    /// <summary>Plain softmax attention in double precision: the reference.</summary>
    private static float[] Reference(float[] q, float[] k, float[] v, AttentionShape s)
    {
        var output = new float[q.Length];
        int w = s.Width;
        for (int b = 0; b < s.Batch; b++)
        for (int t = 0; t < s.Queries; t++)
        for (int h = 0; h < s.Heads; h++)
        {
            int visible = s.Mask == AttentionMask.Causal ? Math.Min(s.KvLength, t + s.CausalOffset + 1) : s.KvLength;
            var scores = new double[visible];
            for (int j = 0; j < visible; j++)
            {
                double dot = 0;
                for (int c = 0; c < s.HeadDim; c++)
                    dot += q[(b * s.Queries + t) * w + h * s.HeadDim + c] * k[(b * s.KvCapacity + j) * w + h * s.HeadDim + c];
                scores[j] = dot / Math.Sqrt(s.HeadDim);
            }
            double max = scores.Length == 0 ? 0 : scores.Max();
            double sum = scores.Sum(x => Math.Exp(x - max));
            for (int c = 0; c < s.HeadDim; c++)
            {
                double acc = 0;
                for (int j = 0; j < visible; j++)
                    acc += Math.Exp(scores[j] - max) / sum * v[(b * s.KvCapacity + j) * w + h * s.HeadDim + c];
                output[(b * s.Queries + t) * w + h * s.HeadDim + c] = (float)acc;
            }
        }
        return output;
    }

    public static IEnumerable<object[]> Shapes()
    {
        var shapes = new[]
        {
            new AttentionShape(Batch: 2, Queries: 5, Heads: 3, HeadDim: 8, KvCapacity: 9, KvLength: 7, Mask: AttentionMask.None, CausalOffset: 0),
            new AttentionShape(1, 1, 1, 5, 1, 1, AttentionMask.None, 0),        // a cache of length 1, odd head size
            new AttentionShape(3, 6, 2, 7, 6, 6, AttentionMask.Causal, 0),         // the training forward: query t sees keys 0..t
            new AttentionShape(2, 3, 4, 16, 12, 10, AttentionMask.Causal, 7),      // causal with an offset (prefill after 7 cached)
            new AttentionShape(1, 17, 1, 33, 17, 17, AttentionMask.None, 0),    // single-head spatial attention shape
        };
        return shapes.Select(s => new object[] { s });
    }

    [Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]
    public void MatchesSoftmaxReference(string backend, AttentionShape s)
    {
        ComputeDevice device = TestDevices.Get(backend);
        var rng = new Random(7);
        float[] q = TestData.Normal(rng, s.Batch * s.Queries * s.Width);
        float[] k = TestData.Normal(rng, s.Batch * s.KvCapacity * s.Width);
        float[] v = TestData.Normal(rng, s.Batch * s.KvCapacity * s.Width);
        using var tq = Tensor<float>.FromArray(device, q, q.Length);
        using var tk = Tensor<float>.FromArray(device, k, k.Length);
        using var tv = Tensor<float>.FromArray(device, v, v.Length);
        using var output = new Tensor<float>(device, q.Length);
        device.Ops.Attention(tq.View, tk.View, tv.View, output.View, s);
        // float32 accumulation over at most a few hundred terms against a double reference.
        TestData.AssertClose(Reference(q, k, v, s), output.ToArray(), rtol: 1e-4f, atol: 1e-5f);
    }
}
