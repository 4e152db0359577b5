namespace ArpgIlgpu.Models;

/// <summary>Floating-point operations and bytes moved by one piece of work: the inputs of a roofline.</summary>
/// <param name="Flops">Multiply-adds count as 2.</param>
/// <param name="Bytes">Bytes read or written in device memory, each weight and cache entry once.</param>
public readonly record struct WorkCost(double Flops, double Bytes)
{
    /// <summary>Sum of two costs.</summary>
    public static WorkCost operator +(WorkCost a, WorkCost b) => new(a.Flops + b.Flops, a.Bytes + b.Bytes);
}

/// <summary>
/// The work of ARPG's passes, counted from the shapes (what <c>arpg bench</c> divides by time):
/// a linear layer on r rows is 2 r d_in d_out FLOPs and reads its weights once; attention of q
/// queries over c cached positions is 4 q c d FLOPs and reads the keys and values once per row.
/// </summary>
public sealed class ArpgCost(ArpgConfig config, double weightBytesPerElement = 4, double cacheBytesPerElement = 4)
{
    private readonly double d = config.Dim, h = config.FfnHidden, vocab = config.VocabSize;

    /// <summary>Pass 1 on <paramref name="rows"/> sequences feeding <paramref name="n"/> tokens each, the caches ending at <paramref name="length"/> positions.</summary>
    public WorkCost Pass1(int rows, int n, int length)
    {
        int layers = config.Layers / 2;
        double tokens = (double)rows * n;
        double perLayerWeights = 4 * d * d + 3 * d * h;
        double flops = layers * (2 * tokens * perLayerWeights + 4 * tokens * length * d) + 2 * tokens * 2 * d * d;
        double weights = (layers * perLayerWeights + 2 * d * d) * weightBytesPerElement;
        double cache = (layers * 2.0 * rows * length * d + (layers + 1) * 2.0 * tokens * d) * cacheBytesPerElement;
        return new WorkCost(flops, weights + cache);
    }

    /// <summary>Pass 2 for <paramref name="m"/> queries per row over a shared cache of <paramref name="length"/> positions.</summary>
    public WorkCost Pass2(int rows, int m, int length)
    {
        int layers = config.Layers / 2;
        double queries = (double)rows * m;
        double perLayerWeights = 2 * d * d + 3 * d * h;
        double flops = layers * (2 * queries * perLayerWeights + 4 * queries * length * d);
        double weights = layers * perLayerWeights * weightBytesPerElement;
        double cache = layers * 2.0 * rows * length * d * cacheBytesPerElement;
        return new WorkCost(flops, weights + cache);
    }

    /// <summary>The head: logits for <paramref name="m"/> queries per row (weights read, logits written).</summary>
    public WorkCost Head(int rows, int m) =>
        new(2.0 * rows * m * d * vocab, vocab * d * weightBytesPerElement + 4.0 * rows * m * vocab);

    /// <summary>Sampling: guidance reads both halves of the logits and writes one; the draw reads it again.</summary>
    public WorkCost Sampling(int rows, int m) => new(6.0 * rows / 2 * m * vocab, 4.0 * 2.5 * rows * m * vocab);
}
