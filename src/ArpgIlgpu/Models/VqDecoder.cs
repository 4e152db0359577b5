using ILGPU;

namespace ArpgIlgpu.Models;

/// <summary>
/// The VQ decoder (LlamaGen's Decoder): latent z [B, z_channels, gh, gw] -> image [B, 3, gh*f, gw*f],
/// f = 2^(levels-1). Levels run from the lowest resolution up: decoder.conv_blocks.0 is the
/// lowest, with attention after each of its num_res_blocks + 1 residual blocks.
/// </summary>
internal sealed class VqDecoder
{
    private readonly ConvLayer convIn;
    private readonly MidBlock mid;
    private readonly (LevelBlocks Blocks, Upsample? Upsample)[] levels;
    private readonly GroupNormLayer normOut;
    private readonly ConvLayer convOut;

    public VqDecoder(VqWeights w, VqConfig config)
    {
        convIn = w.Conv("decoder.conv_in");
        mid = w.Mid("decoder");
        levels = new (LevelBlocks, Upsample?)[config.Levels];
        for (int block = 0; block < config.Levels; block++)
        {
            string p = $"decoder.conv_blocks.{block}";
            bool highest = block == config.Levels - 1;
            levels[block] = (w.Level(p, config.NumResBlocks + 1, attention: block == 0),
                highest ? null : new Upsample(w.Conv($"{p}.upsample.conv")));
        }
        normOut = w.Norm("decoder.norm_out");
        convOut = w.Conv("decoder.conv_out");
    }

    /// <summary>z: [B, z_channels, gh, gw] -> image: [B, 3, gh*f, gw*f] (outside the scratch's feature maps).</summary>
    public void Forward(VqScratch s, FeatureMap z, ArrayView<float> image)
    {
        // z to block_in
        FeatureMap h = convIn.Same(s, z, s.Besides(z).First);

        // middle: res, attn, res
        h = mid.Forward(s, h);

        // from the lowest resolution up, doubling the size after every level but the last
        foreach ((LevelBlocks blocks, Upsample? upsample) in levels)
        {
            h = blocks.Forward(s, h);
            if (upsample is not null)
                h = upsample.Forward(s, h);
        }

        // end: norm_out, swish, conv_out to 3 channels
        h = normOut.Forward(s, h, s.Besides(h).First, swish: true);
        convOut.Same(s, h.View, image, h.Height, h.Width);
    }
}
