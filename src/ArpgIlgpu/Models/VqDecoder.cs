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

    /// <summary>z: [B, z_channels, gh, gw] (outside the scratch's feature maps) -> image: [B, 3, gh*f, gw*f].</summary>
    public void Forward(VqScratch s, ArrayView<float> z, ArrayView<float> image)
    {
        int height = s.GridHeight, width = s.GridWidth;

        // z to block_in
        convIn.Same(s, z, s.X.View, height, width);

        // middle: res, attn, res
        mid.Forward(s, height, width);

        // from the lowest resolution up, doubling the size after every level but the last
        foreach ((LevelBlocks blocks, Upsample? upsample) in levels)
        {
            blocks.Forward(s, height, width);
            if (upsample is null)
                continue;
            upsample.Forward(s, height, width);
            height *= 2;
            width *= 2;
        }

        // end: norm_out, swish, conv_out to 3 channels
        normOut.Forward(s, s.X.View, s.T1.View, height, width, swish: true);
        convOut.Same(s, s.T1.View, image, height, width);
    }
}
