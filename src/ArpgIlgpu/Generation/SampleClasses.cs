using ArpgIlgpu.Kernels;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The class label of each image of a sampling run (<c>arpg sample</c>), a pure function of the
/// image's index, so that shards, devices and resumed runs agree on it without talking to each
/// other.
/// <list type="bullet">
/// <item><see cref="Balanced"/>: the classes in turn, <c>labels[i % labels.Count]</c>, so N images
/// hold N / labels.Count of each class: the official <c>sample_c2i_ddp.py</c>'s set (50 000
/// images, 50 per ImageNet class).</item>
/// <item><see cref="Uniform"/>: each image's class drawn uniformly from the labels with the seed
/// (Philox, keyed by the image index), as LlamaGen's sampler draws <c>torch.randint</c> labels.</item>
/// </list>
/// </summary>
public sealed class SampleClasses
{
    /// <summary>Philox counter word 3 for class draws (tokens use 0, random orders 1).</summary>
    public const uint ClassStream = 2;

    private readonly int[] labels;
    private readonly ulong? seed;

    private SampleClasses(IReadOnlyList<int> labels, ulong? seed)
    {
        if (labels.Count == 0)
            throw new InvalidParameterException(nameof(labels), null, "at least one class label is needed");
        this.labels = [.. labels];
        this.seed = seed;
    }

    /// <summary>
    /// Every label equally often over <paramref name="count"/> images; throws
    /// <see cref="InvalidParameterException"/> when <paramref name="count"/> is not a multiple of the labels.
    /// </summary>
    public static SampleClasses Balanced(IReadOnlyList<int> labels, int count)
    {
        int n = labels.Count;
        if (n > 0 && count % n != 0)
        {
            int below = count / n * n;
            throw new InvalidParameterException(nameof(count), $"{count}",
                $"a balanced set needs a multiple of the {n} classes (e.g. {(below > 0 ? $"{below} or " : "")}{below + n})");
        }
        return new SampleClasses(labels, seed: null);
    }

    /// <summary>Labels drawn uniformly and independently per image from <paramref name="seed"/>.</summary>
    public static SampleClasses Uniform(IReadOnlyList<int> labels, ulong seed) => new(labels, seed);

    /// <summary>The class of image <paramref name="index"/>.</summary>
    public int Of(int index)
    {
        if (seed is not ulong s)
            return labels[index % labels.Length];
        // 32 random bits scaled to 0..n-1 by a multiply-shift (bias below n / 2^32)
        uint bits = Philox.Generate(s, (uint)index, 0, 0, ClassStream).X0;
        return labels[(int)((ulong)bits * (uint)labels.Length >> 32)];
    }

    /// <summary>How labels are chosen, for the record a sample folder keeps: "balanced over 0,1,2" or "uniform over ...".</summary>
    public override string ToString() =>
        $"{(seed is null ? "balanced" : "uniform")} over {string.Join(",", labels)}";
}
