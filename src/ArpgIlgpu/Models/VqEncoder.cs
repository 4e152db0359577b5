using ILGPU;

namespace ArpgIlgpu.Models;

/// <summary>
/// The VQ encoder (LlamaGen's Encoder): image [B, 3, H, W] -> z [B, z_channels, H/f, W/f],
/// f = 2^(levels-1). Levels run from the highest resolution down; the last (lowest) has
/// attention after each of its num_res_blocks residual blocks.
/// </summary>
internal sealed class VqEncoder
{
    private readonly ConvLayer convIn;
    private readonly (LevelBlocks Blocks, Downsample? Downsample)[] levels;
    private readonly MidBlock mid;
    private readonly GroupNormLayer normOut;
    private readonly ConvLayer convOut;

    public VqEncoder(VqWeights w, VqConfig config)
    {
        convIn = w.Conv("encoder.conv_in");
        levels = new (LevelBlocks, Downsample?)[config.Levels];
        for (int level = 0; level < config.Levels; level++)
        {
            string p = $"encoder.conv_blocks.{level}";
            bool lowest = level == config.Levels - 1;
            levels[level] = (w.Level(p, config.NumResBlocks, attention: lowest),
                lowest ? null : new Downsample(w.Conv($"{p}.downsample.conv")));
        }
        mid = w.Mid("encoder");
        normOut = w.Norm("encoder.norm_out");
        convOut = w.Conv("encoder.conv_out");
    }

    /// <summary>image: [B, 3, H, W] (outside the scratch's feature maps) -> z: [B, z_channels, H/f, W/f] in one of them.</summary>
    public FeatureMap Forward(VqScratch s, ArrayView<float> image, int height, int width)
    {
        // image to ch channels
        convIn.Same(s, image, s.Maps[0].View, height, width);
        var h = new FeatureMap(s.Maps[0], convIn.OutChannels, height, width);

        // from the highest resolution down, halving the size after every level but the last
        foreach ((LevelBlocks blocks, Downsample? downsample) in levels)
        {
            h = blocks.Forward(s, h);
            if (downsample is not null)
                h = downsample.Forward(s, h);
        }

        // middle: res, attn, res
        h = mid.Forward(s, h);

        // end: norm_out, swish, conv_out to z_channels
        h = normOut.Forward(s, h, s.Besides(h).First, swish: true);
        return convOut.Same(s, h, s.Besides(h).First);
    }
}
