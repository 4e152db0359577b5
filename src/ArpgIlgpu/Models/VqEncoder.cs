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

    /// <summary>
    /// image: [B, 3, H, W] (outside the scratch's feature maps) -> z: [B, z_channels, H/f, W/f],
    /// left in the scratch's T1.
    /// </summary>
    public void Forward(VqScratch s, ArrayView<float> image, int height, int width)
    {
        // image to ch channels
        convIn.Same(s, image, s.X.View, height, width);

        // from the highest resolution down, halving the size after every level but the last
        foreach ((LevelBlocks blocks, Downsample? downsample) in levels)
        {
            blocks.Forward(s, height, width);
            if (downsample is null)
                continue;
            downsample.Forward(s, height, width);
            height /= 2;
            width /= 2;
        }

        // middle: res, attn, res
        mid.Forward(s, height, width);

        // end: norm_out, swish, conv_out to z_channels
        normOut.Forward(s, s.X.View, s.T2.View, height, width, swish: true);
        convOut.Same(s, s.T2.View, s.T1.View, height, width);
    }
}
