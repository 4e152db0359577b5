using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using static ArpgIlgpu.Runtime.MultiplyAdd;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Shape of one attention call. q: [Batch, Queries, Heads * HeadDim]; k, v: [Batch, KvCapacity,
/// Heads * HeadDim] of which the first KvLength positions are valid; output: like q.
/// With <see cref="AttentionMask.Causal"/>, query t sees keys 0 .. t + CausalOffset (the training
/// forward); with <see cref="AttentionMask.None"/> every query sees all KvLength keys (ARPG's
/// inference).
/// </summary>
public readonly record struct AttentionShape(
    int Batch, int Queries, int Heads, int HeadDim, int KvCapacity, int KvLength, AttentionMask Mask, int CausalOffset)
{
    /// <summary>Heads * HeadDim: the width of one q/k/v row.</summary>
    public int Width => Heads * HeadDim;
}

/// <summary>Which keys a query may see.</summary>
public enum AttentionMask
{
    /// <summary>Every valid key (ARPG's inference: tokens and queries see the whole cache).</summary>
    None,
    /// <summary>Query t sees keys 0 .. t + CausalOffset (teacher-forced scoring, prefill).</summary>
    Causal,
}

/// <summary>Scaled dot-product attention over a key/value cache.</summary>
internal static class AttentionKernels
{
    /// <summary>
    /// One thread per (batch b, query t, head h):
    ///   out[b,t,h,:] = sum_j softmax_j(q[b,t,h,:] . k[b,j,h,:] / sqrt(D)) v[b,j,h,:],
    /// j over the visible keys. Numerically stable in one pass (online softmax, as flash
    /// attention does): keep the running maximum m, the running sum l of e^(s_j - m) and the
    /// unnormalised output; when a larger score arrives, rescale both by e^(m_old - m_new).
    /// The output row doubles as the accumulator, so the kernel needs no scratch memory.
    /// Threads of one (b, h) are neighbours (t varies fastest): they read the same keys and
    /// values, which a CPU core then finds in its cache.
    /// </summary>
    [Kernel]
    public static void OnlineSoftmax<TK, SK>(
        Index1D index, ArrayView<float> q, ArrayView<TK> k, ArrayView<TK> v, ArrayView<float> output,
        AttentionShape s, float scale)
        where TK : unmanaged where SK : struct, IStorage<TK>
    {
        SK cache = default;
        int i = index;
        int t = i % s.Queries;
        int h = i / s.Queries % s.Heads;
        int b = i / s.Queries / s.Heads;
        int d = s.HeadDim, width = s.Width;
        long qOff = ((long)(b * s.Queries + t)) * width + h * d;
        int visible = s.Mask == AttentionMask.Causal ? Math.Min(s.KvLength, t + s.CausalOffset + 1) : s.KvLength;

        for (int c = 0; c < d; c++)
            output[qOff + c] = 0f;
        float runningMax = float.NegativeInfinity, runningSum = 0f;
        for (int j = 0; j < visible; j++)
        {
            long kOff = ((long)b * s.KvCapacity + j) * width + h * d;
            float score = Dot(q, qOff, k, kOff, d, cache) * scale;
            if (score > runningMax)
            {
                float correction = MathF.Exp(runningMax - score);
                runningSum *= correction;
                for (int c = 0; c < d; c++)
                    output[qOff + c] *= correction;
                runningMax = score;
            }
            float p = MathF.Exp(score - runningMax);
            runningSum += p;
            for (int c = 0; c < d; c++)
                output[qOff + c] = Mad(p, cache.Load(v, kOff + c), output[qOff + c]);
        }
        float inv = runningSum > 0f ? 1f / runningSum : 0f;
        for (int c = 0; c < d; c++)
            output[qOff + c] *= inv;
    }

    /// <summary>
    /// a[aOff .. aOff+n) . b[bOff .. bOff+n). A plain loop, which PoCL vectorises as a reduction:
    /// with four hand-unrolled partial sums, a batch-1 ARPG-L run spent 1.0 s in attention against
    /// 0.68 s now.
    /// </summary>
    private static float Dot<TB, SB>(ArrayView<float> a, long aOff, ArrayView<TB> b, long bOff, int n, SB storage)
        where TB : unmanaged where SB : struct, IStorage<TB>
    {
        float sum = 0f;
        for (int c = 0; c < n; c++)
            sum = Mad(a[aOff + c], storage.Load(b, bOff + c), sum);
        return sum;
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        AttentionShape, float>? attention32;
    private Action<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<float>,
        AttentionShape, float>? attention16;

    /// <summary>
    /// output = softmax(q k^T / sqrt(HeadDim)) v per batch and head, over the visible cache
    /// positions. q, output: [Batch, Queries, Heads*HeadDim]; k, v: [Batch, KvCapacity, Heads*HeadDim].
    /// </summary>
    public void Attention(ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> output,
        AttentionShape shape)
    {
        CheckAttention(q, k.Length, v.Length, output, shape);
        attention32 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, AttentionShape, float>(AttentionKernels.OnlineSoftmax<float, Fp32Storage>, ImplicitGroupSize);
        attention32(shape.Batch * shape.Queries * shape.Heads, q, k, v, output, shape, 1f / MathF.Sqrt(shape.HeadDim));
    }

    /// <summary>As the float32 form, over a KV cache stored in float32 or float16.</summary>
    public void Attention(ArrayView<float> q, StorageTensor k, StorageTensor v, ArrayView<float> output, AttentionShape shape)
    {
        if (k.Precision != v.Precision)
            throw new ArgumentException("Attention: keys and values stored in different precisions");
        if (k.F32 is not null)
        {
            Attention(q, k.F32.View, v.F32!.View, output, shape);
            return;
        }
        CheckAttention(q, k.Length, v.Length, output, shape);
        attention16 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>,
            ArrayView<ushort>, ArrayView<float>, AttentionShape, float>(AttentionKernels.OnlineSoftmax<ushort, Fp16Storage>, ImplicitGroupSize);
        attention16(shape.Batch * shape.Queries * shape.Heads, q, k.F16!.View, v.F16!.View, output, shape,
            1f / MathF.Sqrt(shape.HeadDim));
    }

    private static void CheckAttention(ArrayView<float> q, long kLength, long vLength, ArrayView<float> output, AttentionShape shape)
    {
        if (shape.KvLength < 0 || shape.KvLength > shape.KvCapacity)
            throw new ArgumentException($"Attention: {shape.KvLength} valid keys in a cache of {shape.KvCapacity}");
        long qLen = (long)shape.Batch * shape.Queries * shape.Width;
        long kvLen = (long)shape.Batch * shape.KvCapacity * shape.Width;
        Require(q, qLen, "Attention q");
        Require(output, qLen, "Attention output");
        if (kLength < kvLen || vLength < kvLen)
            throw new ArgumentException($"Attention: caches hold {kLength} and {vLength} elements, the shape needs {kvLen}");
    }
}
