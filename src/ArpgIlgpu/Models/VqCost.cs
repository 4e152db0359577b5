namespace ArpgIlgpu.Models;

/// <summary>
/// The work of VQ decoding, walked layer by layer like the decoder: a k x k convolution from
/// c_in to c_out channels on an h x w map is 2 h w k^2 c_in c_out FLOPs and moves its input,
/// output and weights once; attention over p positions adds 4 p^2 C.
/// </summary>
public static class VqCost
{
    /// <summary>Decoding one g x g grid.</summary>
    public static WorkCost Decode(VqConfig c, int grid)
    {
        var total = new WorkCost();
        int size = grid, channels = c.LevelChannels(c.Levels - 1);
        total += Conv(size, c.CodebookEmbedDim, c.ZChannels, 1);    // post_quant_conv
        total += Conv(size, c.ZChannels, channels, 3);              // conv_in
        total += Res(size, channels, channels) + Attn(size, channels) + Res(size, channels, channels); // mid
        for (int level = c.Levels - 1; level >= 0; level--)
        {
            int output = c.LevelChannels(level);
            for (int i = 0; i <= c.NumResBlocks; i++)
            {
                total += Res(size, channels, output);
                channels = output;
                if (level == c.Levels - 1)
                    total += Attn(size, channels);
            }
            if (level != 0)
            {
                size *= 2;
                total += Conv(size, channels, channels, 3);         // upsample's conv
            }
        }
        return total + Conv(size, channels, 3, 3);                  // conv_out
    }

    private static WorkCost Conv(int size, int cin, int cout, int k) =>
        new(2.0 * size * size * k * k * cin * cout, 4.0 * (size * size * (double)(cin + cout) + k * k * (double)cin * cout));

    private static WorkCost Res(int size, int cin, int cout) =>
        Conv(size, cin, cout, 3) + Conv(size, cout, cout, 3) + (cin != cout ? Conv(size, cin, cout, 1) : new WorkCost());

    private static WorkCost Attn(int size, int c)
    {
        double p = (double)size * size;
        return Conv(size, c, c, 1) + Conv(size, c, c, 1) + Conv(size, c, c, 1) + Conv(size, c, c, 1)
               + new WorkCost(4 * p * p * c, 4.0 * 3 * p * c);
    }
}
