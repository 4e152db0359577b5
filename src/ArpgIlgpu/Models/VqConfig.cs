using System.Text.Json;

namespace ArpgIlgpu.Models;

/// <summary>
/// The VQ tokenizer's hyper-parameters (LlamaGen's VQ model), named as the fixture JSON's "vq"
/// object names them. The released tokenizer is the <see cref="Vq16"/> preset
/// (vq_ds16_c2i.pt); the same <see cref="ChMult"/> serves the encoder and the decoder.
/// </summary>
public sealed record VqConfig
{
    /// <summary>Codes in the codebook (the transformer's vocabulary).</summary>
    public int CodebookSize { get; init; } = 16384;

    /// <summary>Width of one codebook vector (the latent's channels at the quantiser).</summary>
    public int CodebookEmbedDim { get; init; } = 8;

    /// <summary>Whether codebook rows and latents are l2-normalised before lookup and search.</summary>
    public bool CodebookL2Norm { get; init; } = true;

    /// <summary>Base channel count; level i has Ch * ChMult[i] channels.</summary>
    public int Ch { get; init; } = 128;

    /// <summary>Channel multipliers per resolution level, highest resolution first.</summary>
    public IReadOnlyList<int> ChMult { get; init; } = [1, 1, 2, 2, 4];

    /// <summary>Channels between the encoder/decoder and the 1x1 quant convolutions.</summary>
    public int ZChannels { get; init; } = 256;

    /// <summary>Residual blocks per encoder level (the decoder has one more per level).</summary>
    public int NumResBlocks { get; init; } = 2;

    /// <summary>GroupNorm groups in every normalisation (the official Normalize()).</summary>
    public const int NormGroups = 32;

    /// <summary>GroupNorm epsilon (the official Normalize()).</summary>
    public const float NormEps = 1e-6f;

    /// <summary>LlamaGen's VQ-16 tokenizer, the one ARPG's released models use.</summary>
    public static VqConfig Vq16 { get; } = new();

    /// <summary>The presets by name.</summary>
    public static IReadOnlyDictionary<string, VqConfig> Presets { get; } =
        new Dictionary<string, VqConfig>(StringComparer.OrdinalIgnoreCase) { ["VQ-16"] = Vq16 };

    /// <summary>Number of resolution levels.</summary>
    public int Levels => ChMult.Count;

    /// <summary>Image pixels per token along each side: 2^(levels - 1) (16 for VQ-16).</summary>
    public int DownsampleFactor => 1 << (Levels - 1);

    /// <summary>Channels of resolution level <paramref name="level"/> (0 = the highest resolution).</summary>
    public int LevelChannels(int level) => Ch * ChMult[level];

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first inconsistent field.</summary>
    public VqConfig Validate(string source)
    {
        void Check(bool ok, string message)
        {
            if (!ok)
                throw new InvalidInputException($"{source}: {message}");
        }
        // Upper bounds far above any trained tokenizer that keep derived sizes within 32 bits.
        Check(CodebookSize is > 0 and <= 1 << 20, $"codebook_size {CodebookSize} must be 1 to {1 << 20}");
        Check(CodebookEmbedDim is > 0 and <= 4096, $"codebook_embed_dim {CodebookEmbedDim} must be 1 to 4096");
        Check(Ch is > 0 and <= 4096, $"ch {Ch} must be 1 to 4096");
        Check(ChMult.Count is > 0 and <= 8, $"ch_mult must list 1 to 8 levels, found {ChMult.Count}");
        Check(ChMult.All(m => m is > 0 and <= 64), "every ch_mult entry must be 1 to 64");
        for (int i = 0; i < Levels; i++)
            Check(LevelChannels(i) % NormGroups == 0,
                $"ch * ch_mult[{i}] = {LevelChannels(i)} must be a multiple of {NormGroups} (GroupNorm groups)");
        Check(ZChannels is > 0 and <= 4096, $"z_channels {ZChannels} must be 1 to 4096");
        Check(NumResBlocks is > 0 and <= 64, $"num_res_blocks {NumResBlocks} must be 1 to 64");
        return this;
    }

    /// <summary>Reads the "vq" object of the fixture JSON schema (snake_case names as in the fixtures).</summary>
    public static VqConfig FromJson(JsonElement vq, string source)
    {
        var json = new JsonFields(vq, source);
        return new VqConfig
        {
            CodebookSize = json.Int("codebook_size", 16384),
            CodebookEmbedDim = json.Int("codebook_embed_dim", 8),
            CodebookL2Norm = json.Bool("codebook_l2_norm", true),
            Ch = json.Int("ch", 128),
            ChMult = json.IntArray("ch_mult", [1, 1, 2, 2, 4]),
            ZChannels = json.Int("z_channels", 256),
            NumResBlocks = json.Int("num_res_blocks", 2),
        }.Validate(source);
    }

    /// <summary>
    /// Every tensor the model expects in a state dict, with its shape, by the official names
    /// (encoder.*, decoder.*, quantize.embedding.weight, quant_conv.*, post_quant_conv.*).
    /// <see cref="IgnoredTensors"/> may also be present.
    /// </summary>
    public IReadOnlyDictionary<string, int[]> ExpectedTensors()
    {
        var t = new Dictionary<string, int[]>();
        void Conv(string p, int cin, int cout, int k)
        {
            t[$"{p}.weight"] = [cout, cin, k, k];
            t[$"{p}.bias"] = [cout];
        }
        void Norm(string p, int c)
        {
            t[$"{p}.weight"] = [c];
            t[$"{p}.bias"] = [c];
        }
        void Res(string p, int cin, int cout)
        {
            Norm($"{p}.norm1", cin);
            Conv($"{p}.conv1", cin, cout, 3);
            Norm($"{p}.norm2", cout);
            Conv($"{p}.conv2", cout, cout, 3);
            if (cin != cout)
                Conv($"{p}.nin_shortcut", cin, cout, 1);
        }
        void Attn(string p, int c)
        {
            Norm($"{p}.norm", c);
            foreach (string proj in new[] { "q", "k", "v", "proj_out" })
                Conv($"{p}.{proj}", c, c, 1);
        }
        void Mid(string p, int c)
        {
            Res($"{p}.mid.0", c, c);
            Attn($"{p}.mid.1", c);
            Res($"{p}.mid.2", c, c);
        }
        int last = Levels - 1;

        // Encoder: levels from the highest resolution down.
        Conv("encoder.conv_in", 3, Ch, 3);
        int c = Ch;
        for (int level = 0; level < Levels; level++)
        {
            for (int j = 0; j < NumResBlocks; j++)
            {
                Res($"encoder.conv_blocks.{level}.res.{j}", c, LevelChannels(level));
                c = LevelChannels(level);
                if (level == last)
                    Attn($"encoder.conv_blocks.{level}.attn.{j}", c);
            }
            if (level != last)
                Conv($"encoder.conv_blocks.{level}.downsample.conv", c, c, 3);
        }
        Mid("encoder", c);
        Norm("encoder.norm_out", c);
        Conv("encoder.conv_out", c, ZChannels, 3);

        // Decoder: conv_blocks.0 is the lowest resolution (level last), the last block the highest.
        c = LevelChannels(last);
        Conv("decoder.conv_in", ZChannels, c, 3);
        Mid("decoder", c);
        for (int block = 0; block < Levels; block++)
        {
            int level = last - block;
            for (int j = 0; j < NumResBlocks + 1; j++)
            {
                Res($"decoder.conv_blocks.{block}.res.{j}", c, LevelChannels(level));
                c = LevelChannels(level);
                if (level == last)
                    Attn($"decoder.conv_blocks.{block}.attn.{j}", c);
            }
            if (level != 0)
                Conv($"decoder.conv_blocks.{block}.upsample.conv", c, c, 3);
        }
        Norm("decoder.norm_out", c);
        Conv("decoder.conv_out", c, 3, 3);

        // Quantiser and the 1x1 convolutions around it.
        t["quantize.embedding.weight"] = [CodebookSize, CodebookEmbedDim];
        Conv("quant_conv", ZChannels, CodebookEmbedDim, 1);
        Conv("post_quant_conv", CodebookEmbedDim, ZChannels, 1);
        return t;
    }

    /// <summary>
    /// Tensors a checkpoint may hold that inference does not use: the quantiser's training-time
    /// usage statistics.
    /// </summary>
    public static IReadOnlyList<string> IgnoredTensors { get; } = ["quantize.codebook_used"];

    /// <summary>Parameters in the model (for reports).</summary>
    public long ParameterCount => checked(ExpectedTensors().Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
}
