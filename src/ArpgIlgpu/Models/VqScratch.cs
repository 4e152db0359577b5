using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>
/// The activations of VQ forward passes for a fixed number of images and token grid, allocated
/// once and reused by every layer (llm.c's habit: nothing is allocated inside the forward pass).
/// Three feature-map buffers sized for the network's largest map (128 channels at 256 x 256 for
/// VQ-16: 32 MiB per image each): a block takes its input map h in one of them and uses the
/// other two (<see cref="Besides"/>) for its temporaries and, where it cannot work in place,
/// its output, which it returns (<c>h = block(h)</c>).
/// </summary>
internal sealed class VqScratch : IDisposable
{
    private readonly List<Tensor<float>> owned = [];

    public VqScratch(ComputeDevice device, VqConfig config, int batch, int gridHeight, int gridWidth)
    {
        Ops = device.Ops;
        Capacity = batch;
        Batch = batch;
        GridHeight = gridHeight;
        GridWidth = gridWidth;
        long maps = checked(batch * MaxFeatureMapElements(config, gridHeight, gridWidth));
        int tokens = batch * gridHeight * gridWidth;
        int attention = tokens * config.LevelChannels(config.Levels - 1);
        Tensor<float> New(long length)
        {
            var t = new Tensor<float>(device, checked((int)length));
            owned.Add(t);
            return t;
        }
        try
        {
            Maps = [New(maps), New(maps), New(maps)];
            // A group never holds more than 1/32 of the largest map, so this shape bounds every
            // GroupNorm's statistics.
            int groupLength = (int)((maps / batch + VqConfig.NormGroups - 1) / VqConfig.NormGroups);
            Statistics = New(new GroupNormShape(batch, VqConfig.NormGroups, groupLength, VqConfig.NormGroups).StatisticsLength);
            Queries = New(attention);
            Keys = New(attention);
            Values = New(attention);
            Attended = New(attention);
            Latent = New(tokens * config.CodebookEmbedDim);
        }
        catch
        {
            // a failed allocation (out of memory) must not keep the ones before it
            Dispose();
            throw;
        }
    }

    public Ops Ops { get; }

    /// <summary>Images the buffers hold.</summary>
    public int Capacity { get; }

    /// <summary>Images in the current forward pass (at most <see cref="Capacity"/>).</summary>
    public int Batch
    {
        get;
        set => field = value is > 0 && value <= Capacity
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), $"{value} images in a scratch for {Capacity}");
    }

    /// <summary>Token rows of each image.</summary>
    public int GridHeight { get; }

    /// <summary>Token columns of each image.</summary>
    public int GridWidth { get; }

    /// <summary>The three feature-map buffers, each as large as the network's largest map.</summary>
    public IReadOnlyList<Tensor<float>> Maps { get; }

    /// <summary>The two feature-map buffers that do not hold <paramref name="h"/> (the first two when h lies elsewhere).</summary>
    public (Tensor<float> First, Tensor<float> Second) Besides(FeatureMap h)
    {
        Tensor<float>[] others = Maps.Where(m => !ReferenceEquals(m, h.Buffer)).ToArray();
        return (others[0], others[1]);
    }

    /// <summary>GroupNorm's per-chunk and per-group statistics.</summary>
    public Tensor<float> Statistics { get; }

    /// <summary>Attention inputs and output in token layout: [Batch, H*W, C] at the lowest resolution.</summary>
    public Tensor<float> Queries { get; }

    /// <inheritdoc cref="Queries"/>
    public Tensor<float> Keys { get; }

    /// <inheritdoc cref="Queries"/>
    public Tensor<float> Values { get; }

    /// <inheritdoc cref="Queries"/>
    public Tensor<float> Attended { get; }

    /// <summary>The quantised latent: [Batch, codebook_embed_dim, gh, gw].</summary>
    public Tensor<float> Latent { get; }

    /// <summary>Device bytes the scratch for one image takes.</summary>
    public static long BytesPerImage(VqConfig config, int gridHeight, int gridWidth)
    {
        int tokens = gridHeight * gridWidth;
        long floats = 3 * MaxFeatureMapElements(config, gridHeight, gridWidth)
                      + 4L * tokens * config.LevelChannels(config.Levels - 1)
                      + (long)tokens * config.CodebookEmbedDim;
        return 4 * floats;
    }

    /// <summary>
    /// The largest C*H*W of any feature map of the encoder or the decoder, per image. At level l
    /// (resolution grid * 2^(levels-1-l)) the maps carry the channels of level l or of a
    /// neighbouring level (the block before a resampling step), the base channels (encoder's
    /// conv_in) or 3 (the image) at level 0, and z_channels at the lowest level.
    /// </summary>
    private static long MaxFeatureMapElements(VqConfig config, int gridHeight, int gridWidth)
    {
        int last = config.Levels - 1;
        long max = 0;
        for (int level = 0; level <= last; level++)
        {
            long pixels = ((long)gridHeight << (last - level)) * ((long)gridWidth << (last - level));
            int channels = config.LevelChannels(level);
            if (level > 0)
                channels = Math.Max(channels, config.LevelChannels(level - 1));
            if (level < last)
                channels = Math.Max(channels, config.LevelChannels(level + 1));
            if (level == 0)
                channels = Math.Max(channels, Math.Max(config.Ch, 3));
            if (level == last)
                channels = Math.Max(channels, config.ZChannels);
            max = Math.Max(max, channels * pixels);
        }
        return max;
    }

    public void Dispose()
    {
        foreach (Tensor<float> t in owned)
            t.Dispose();
    }
}
