using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using ILGPU;

namespace ArpgIlgpu.Models;

/// <summary>A feature map [Batch, Channels, Height, Width] in a device buffer (one of the scratch's maps, or the latent).</summary>
internal readonly record struct FeatureMap(Tensor<float> Buffer, int Channels, int Height, int Width)
{
    public ArrayView<float> View => Buffer.View;
}

/// <summary>A convolution's parameters on the device: weight [Cout, Cin, k, k] and bias [Cout], as PyTorch stores them.</summary>
internal sealed class ConvLayer(Tensor<float> weight, Tensor<float> bias)
{
    public int OutChannels => weight.Dim(0);
    public int InChannels => weight.Dim(1);
    public int Kernel => weight.Dim(2);

    /// <summary>
    /// Stride 1, k/2 zeros around: x: [B, Cin, H, W] -> y: [B, Cout, H, W]; y += the result
    /// when <paramref name="accumulate"/>.
    /// </summary>
    public void Same(VqScratch s, ArrayView<float> x, ArrayView<float> y, int height, int width,
        bool accumulate = false) =>
        s.Ops.Conv2d(x, weight.View, bias.View, y,
            Conv2dShape.Same(s.Batch, InChannels, OutChannels, height, width, Kernel), accumulate);

    /// <summary>
    /// <see cref="Same(VqScratch, ArrayView{float}, ArrayView{float}, int, int, bool)"/> from a
    /// feature map into <paramref name="into"/> (added to what it holds when <paramref name="accumulate"/>).
    /// </summary>
    public FeatureMap Same(VqScratch s, FeatureMap x, Tensor<float> into, bool accumulate = false)
    {
        Same(s, x.View, into.View, x.Height, x.Width, accumulate);
        return new FeatureMap(into, OutChannels, x.Height, x.Width);
    }

    /// <summary>Pad (0, 1, 0, 1), 3x3 stride 2: x: [B, C, H, W] -> [B, C, H/2, W/2] in <paramref name="into"/>.</summary>
    public FeatureMap Downsample(VqScratch s, FeatureMap x, Tensor<float> into)
    {
        var shape = Conv2dShape.Downsample(s.Batch, InChannels, x.Height, x.Width);
        s.Ops.Conv2d(x.View, weight.View, bias.View, into.View, shape);
        return new FeatureMap(into, OutChannels, shape.OutHeight, shape.OutWidth);
    }
}

/// <summary>GroupNorm(32 groups, eps 1e-6, affine) parameters: gamma, beta: [C].</summary>
internal sealed class GroupNormLayer(Tensor<float> gamma, Tensor<float> beta)
{
    public int Channels => gamma.Dim(0);

    /// <summary>x: [B, C, H, W] -> GroupNorm(x) (then swish, when asked) in <paramref name="into"/>, which may hold x.</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap x, Tensor<float> into, bool swish)
    {
        s.Ops.GroupNorm(x.View, gamma.View, beta.View, into.View, s.Statistics.View,
            new GroupNormShape(s.Batch, Channels, x.Height * x.Width, VqConfig.NormGroups), VqConfig.NormEps, swish);
        return x with { Buffer = into };
    }
}

/// <summary>
/// Residual block: x + conv2(swish(norm2(conv1(swish(norm1(x)))))), the input passing through a
/// 1x1 nin_shortcut when the channel count changes. (Dropout is the identity at inference.)
/// </summary>
internal sealed class ResnetBlock(GroupNormLayer norm1, ConvLayer conv1, GroupNormLayer norm2, ConvLayer conv2,
    ConvLayer? ninShortcut)
{
    /// <summary>x: [B, Cin, H, W] -> [B, Cout, H, W], in x's buffer or, through the shortcut, in another.</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap x)
    {
        (Tensor<float> t1, Tensor<float> t2) = s.Besides(x);
        // h = conv1(swish(norm1(x)))
        FeatureMap h = conv1.Same(s, norm1.Forward(s, x, t1, swish: true), t2);
        // h = swish(norm2(h)), in place
        h = norm2.Forward(s, h, t2, swish: true);
        // x (or nin_shortcut(x), built where norm1's output was) + conv2(h), added in place by the convolution
        FeatureMap shortcut = ninShortcut is null ? x : ninShortcut.Same(s, x, t1);
        return conv2.Same(s, h, shortcut.Buffer, accumulate: true);
    }
}

/// <summary>
/// Single-head self-attention over the H*W positions:
/// x + proj_out(softmax(q k^T / sqrt(C)) v) with q, k, v = 1x1 convolutions of norm(x).
/// </summary>
internal sealed class AttnBlock(GroupNormLayer norm, ConvLayer q, ConvLayer k, ConvLayer v, ConvLayer projOut)
{
    /// <summary>x: [B, C, H, W] -> [B, C, H, W], in x's buffer.</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap x)
    {
        (Tensor<float> t1, Tensor<float> t2) = s.Besides(x);
        int channels = x.Channels, positions = x.Height * x.Width;
        FeatureMap h = norm.Forward(s, x, t1, swish: false);
        // q, k, v: 1x1 convolutions, then from channel-first [C, HW] to token layout [HW, C]
        void Project(ConvLayer projection, Tensor<float> tokens)
        {
            projection.Same(s, h, t2);
            s.Ops.Transpose(t2.View, tokens.View, s.Batch, channels, positions);
        }
        Project(q, s.Queries);
        Project(k, s.Keys);
        Project(v, s.Values);
        // softmax(q k^T / sqrt(C)) v: one head of width C, every position sees every position
        s.Ops.Attention(s.Queries.View, s.Keys.View, s.Values.View, s.Attended.View,
            new AttentionShape(s.Batch, Queries: positions, Heads: 1, HeadDim: channels, KvCapacity: positions,
                KvLength: positions, AttentionMask.None, CausalOffset: 0));
        // back to channel-first, then x + proj_out(h)
        s.Ops.Transpose(s.Attended.View, t2.View, s.Batch, positions, channels);
        return projOut.Same(s, x with { Buffer = t2 }, x.Buffer, accumulate: true);
    }
}

/// <summary>Nearest-neighbour 2x upsampling, then a 3x3 convolution.</summary>
internal sealed class Upsample(ConvLayer conv)
{
    /// <summary>x: [B, C, H, W] -> [B, C, 2H, 2W], in x's buffer.</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap x)
    {
        (Tensor<float> t1, _) = s.Besides(x);
        s.Ops.UpsampleNearest2x(x.View, t1.View, s.Batch * x.Channels, x.Height, x.Width);
        return conv.Same(s, new FeatureMap(t1, x.Channels, 2 * x.Height, 2 * x.Width), x.Buffer);
    }
}

/// <summary>Zero padding below and right, then a 3x3 convolution of stride 2.</summary>
internal sealed class Downsample(ConvLayer conv)
{
    /// <summary>x: [B, C, H, W] -> [B, C, H/2, W/2], in another buffer.</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap x) => conv.Downsample(s, x, s.Besides(x).First);
}

/// <summary>The residual blocks of one resolution level, each followed by attention on the lowest level.</summary>
internal sealed class LevelBlocks(ResnetBlock[] res, AttnBlock[] attn)
{
    /// <summary>h: [B, Cin, H, W] -> [B, C_level, H, W].</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap h)
    {
        for (int j = 0; j < res.Length; j++)
        {
            h = res[j].Forward(s, h);
            if (attn.Length > 0)
                h = attn[j].Forward(s, h);
        }
        return h;
    }
}

/// <summary>The middle of the encoder and of the decoder: res, attn, res at the lowest resolution.</summary>
internal sealed class MidBlock(ResnetBlock res1, AttnBlock attn, ResnetBlock res2)
{
    /// <summary>h: [B, C, H, W] -> [B, C, H, W].</summary>
    public FeatureMap Forward(VqScratch s, FeatureMap h)
    {
        h = res1.Forward(s, h);
        h = attn.Forward(s, h);
        return res2.Forward(s, h);
    }
}
