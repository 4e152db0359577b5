using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using ILGPU;

namespace ArpgIlgpu.Models;

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

    /// <summary>Pad (0, 1, 0, 1), 3x3 stride 2: x: [B, C, H, W] -> y: [B, C, H/2, W/2].</summary>
    public void Downsample(VqScratch s, ArrayView<float> x, ArrayView<float> y, int height, int width) =>
        s.Ops.Conv2d(x, weight.View, bias.View, y, Conv2dShape.Downsample(s.Batch, InChannels, height, width));
}

/// <summary>GroupNorm(32 groups, eps 1e-6, affine) parameters: gamma, beta: [C].</summary>
internal sealed class GroupNormLayer(Tensor<float> gamma, Tensor<float> beta)
{
    public int Channels => gamma.Dim(0);

    /// <summary>x: [B, C, H, W] -> y = GroupNorm(x) (then swish, when asked); y may be x.</summary>
    public void Forward(VqScratch s, ArrayView<float> x, ArrayView<float> y, int height, int width, bool swish) =>
        s.Ops.GroupNorm(x, gamma.View, beta.View, y, s.Statistics.View,
            new GroupNormShape(s.Batch, Channels, height * width, VqConfig.NormGroups), VqConfig.NormEps, swish);
}

/// <summary>
/// Residual block: x + conv2(swish(norm2(conv1(swish(norm1(x)))))), the input passing through a
/// 1x1 nin_shortcut when the channel count changes. (Dropout is the identity at inference.)
/// </summary>
internal sealed class ResnetBlock(GroupNormLayer norm1, ConvLayer conv1, GroupNormLayer norm2, ConvLayer conv2,
    ConvLayer? ninShortcut)
{
    /// <summary>X: [B, Cin, H, W] -> X: [B, Cout, H, W].</summary>
    public void Forward(VqScratch s, int height, int width)
    {
        // h = conv1(swish(norm1(x)))
        norm1.Forward(s, s.X.View, s.T1.View, height, width, swish: true);
        conv1.Same(s, s.T1.View, s.T2.View, height, width);
        // h = swish(norm2(h))
        norm2.Forward(s, s.T2.View, s.T2.View, height, width, swish: true);
        if (ninShortcut is null)
        {
            // x + conv2(h), added in place by the convolution
            conv2.Same(s, s.T2.View, s.X.View, height, width, accumulate: true);
            return;
        }
        // nin_shortcut(x) + conv2(h), built in T1, which then becomes the activation
        ninShortcut.Same(s, s.X.View, s.T1.View, height, width);
        conv2.Same(s, s.T2.View, s.T1.View, height, width, accumulate: true);
        s.SwapXAndT1();
    }
}

/// <summary>
/// Single-head self-attention over the H*W positions:
/// x + proj_out(softmax(q k^T / sqrt(C)) v) with q, k, v = 1x1 convolutions of norm(x).
/// </summary>
internal sealed class AttnBlock(GroupNormLayer norm, ConvLayer q, ConvLayer k, ConvLayer v, ConvLayer projOut)
{
    /// <summary>X: [B, C, H, W] -> X: [B, C, H, W].</summary>
    public void Forward(VqScratch s, int height, int width)
    {
        int channels = norm.Channels, positions = height * width;
        norm.Forward(s, s.X.View, s.T1.View, height, width, swish: false);
        // q, k, v: 1x1 convolutions, then from channel-first [C, HW] to token layout [HW, C]
        void Project(ConvLayer projection, Tensor<float> tokens)
        {
            projection.Same(s, s.T1.View, s.T2.View, height, width);
            s.Ops.Transpose(s.T2.View, tokens.View, s.Batch, channels, positions);
        }
        Project(q, s.Queries);
        Project(k, s.Keys);
        Project(v, s.Values);
        // softmax(q k^T / sqrt(C)) v: one head of width C, every position sees every position
        s.Ops.Attention(s.Queries.View, s.Keys.View, s.Values.View, s.Attended.View,
            new AttentionShape(s.Batch, Queries: positions, Heads: 1, HeadDim: channels, KvCapacity: positions,
                KvLength: positions, AttentionMask.None, CausalOffset: 0));
        // back to channel-first, then x + proj_out(h)
        s.Ops.Transpose(s.Attended.View, s.T2.View, s.Batch, positions, channels);
        projOut.Same(s, s.T2.View, s.X.View, height, width, accumulate: true);
    }
}

/// <summary>Nearest-neighbour 2x upsampling, then a 3x3 convolution.</summary>
internal sealed class Upsample(ConvLayer conv)
{
    /// <summary>X: [B, C, H, W] -> X: [B, C, 2H, 2W].</summary>
    public void Forward(VqScratch s, int height, int width)
    {
        s.Ops.UpsampleNearest2x(s.X.View, s.T1.View, s.Batch * conv.InChannels, height, width);
        conv.Same(s, s.T1.View, s.X.View, 2 * height, 2 * width);
    }
}

/// <summary>Zero padding below and right, then a 3x3 convolution of stride 2.</summary>
internal sealed class Downsample(ConvLayer conv)
{
    /// <summary>X: [B, C, H, W] -> X: [B, C, H/2, W/2].</summary>
    public void Forward(VqScratch s, int height, int width)
    {
        conv.Downsample(s, s.X.View, s.T1.View, height, width);
        s.SwapXAndT1();
    }
}

/// <summary>The residual blocks of one resolution level, each followed by attention on the lowest level.</summary>
internal sealed class LevelBlocks(ResnetBlock[] res, AttnBlock[] attn)
{
    /// <summary>X: [B, Cin, H, W] -> X: [B, C_level, H, W].</summary>
    public void Forward(VqScratch s, int height, int width)
    {
        for (int j = 0; j < res.Length; j++)
        {
            res[j].Forward(s, height, width);
            if (attn.Length > 0)
                attn[j].Forward(s, height, width);
        }
    }
}

/// <summary>The middle of the encoder and of the decoder: res, attn, res at the lowest resolution.</summary>
internal sealed class MidBlock(ResnetBlock res1, AttnBlock attn, ResnetBlock res2)
{
    /// <summary>X: [B, C, H, W] -> X: [B, C, H, W].</summary>
    public void Forward(VqScratch s, int height, int width)
    {
        res1.Forward(s, height, width);
        attn.Forward(s, height, width);
        res2.Forward(s, height, width);
    }
}
