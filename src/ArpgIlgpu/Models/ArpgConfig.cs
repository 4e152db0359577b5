using System.Text.Json;

namespace ArpgIlgpu.Models;

/// <summary>
/// The ARPG transformer's hyper-parameters, named as the official <c>ModelArgs</c> names them.
/// The released models are presets (<see cref="Presets"/>); any other size loads from the
/// fixture JSON schema's "arpg" object.
/// </summary>
public sealed record ArpgConfig
{
    /// <summary>Model width (d_model).</summary>
    public required int Dim { get; init; }

    /// <summary>Total layers: Layers/2 self-attention layers (pass 1), Layers/2 cross-attention layers (pass 2).</summary>
    public required int Layers { get; init; }

    /// <summary>Attention heads; HeadDim = Dim / Heads.</summary>
    public required int Heads { get; init; }

    /// <summary>Image codes (the VQ codebook size).</summary>
    public int VocabSize { get; init; } = 16384;

    /// <summary>Class labels (ImageNet: 1000).</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Tokens per image, g*g (256 for a 16x16 grid).</summary>
    public int BlockSize { get; init; } = 256;

    /// <summary>The SwiGLU hidden size is rounded up to a multiple of this.</summary>
    public int MultipleOf { get; init; } = 256;

    /// <summary>Optional factor on the SwiGLU hidden size (null in the released models).</summary>
    public double? FfnDimMultiplier { get; init; }

    /// <summary>RoPE base frequency.</summary>
    public float RopeBase { get; init; } = 10000f;

    /// <summary>RMSNorm epsilon.</summary>
    public float NormEps { get; init; } = 1e-5f;

    /// <summary>Class tokens in front of the image (always 1 for ARPG's c2i models).</summary>
    public int ClsTokenNum { get; init; } = 1;

    /// <summary>The released models: ARPG-L (arpg_300m.pt), ARPG-XL (arpg_700m.pt), ARPG-XXL (arpg_1b.pt).</summary>
    public static IReadOnlyDictionary<string, ArpgConfig> Presets { get; } = new Dictionary<string, ArpgConfig>(
        StringComparer.OrdinalIgnoreCase)
    {
        ["ARPG-L"] = new() { Dim = 1024, Layers = 24, Heads = 16 },
        ["ARPG-XL"] = new() { Dim = 1280, Layers = 36, Heads = 20 },
        ["ARPG-XXL"] = new() { Dim = 1536, Layers = 48, Heads = 24 },
    };

    /// <summary>Dim / Heads.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>g: the token grid is g x g.</summary>
    public int GridSize => (int)Math.Round(Math.Sqrt(BlockSize));

    /// <summary>
    /// SwiGLU hidden size, as the official FeedForward computes it:
    /// find_multiple(int(multiplier * int(2 * 4 * dim / 3)), multiple_of).
    /// </summary>
    public int FfnHidden
    {
        get
        {
            int hidden = (int)(2 * (4 * Dim) / 3.0);
            if (FfnDimMultiplier is double m)
                hidden = (int)(m * hidden);
            return hidden % MultipleOf == 0 ? hidden : hidden + MultipleOf - hidden % MultipleOf;
        }
    }

    /// <summary>Rows of the embedding table: codes, [MASK], classes, "no class", and one unused.</summary>
    public int EmbeddingRows => VocabSize + 1 + NumClasses + 1 + 1;

    /// <summary>The [MASK] token: every pass-2 query starts as its embedding.</summary>
    public int MaskTokenId => VocabSize;

    /// <summary>The token fed for class c.</summary>
    public int ClassTokenId(int c) => VocabSize + 1 + c;

    /// <summary>The "no class" token of the unconditional rows of classifier-free guidance.</summary>
    public int NoClassTokenId => VocabSize + NumClasses + 1;

    private const int MaxDim = 1 << 14, MaxLayers = 1 << 10, MaxVocab = 1 << 20, MaxClasses = 1 << 20, MaxBlockSize = 1 << 16;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first inconsistent field.</summary>
    public ArpgConfig Validate(string source)
    {
        void Check(bool ok, string message)
        {
            if (!ok)
                throw new InvalidInputException($"{source}: {message}");
        }
        Check(Dim > 0 && Layers > 0 && Heads > 0, "dim, n_layer and n_head must be positive");
        // Bounds far above any trained model that keep every size derived from them (FFN hidden,
        // embedding rows, element counts) within 32-bit indices; memory is checked at load.
        Check(Dim <= MaxDim, $"dim {Dim} is above the {MaxDim} supported");
        Check(Layers <= MaxLayers, $"n_layer {Layers} is above the {MaxLayers} supported");
        Check(VocabSize <= MaxVocab, $"vocab_size {VocabSize} is above the {MaxVocab} supported");
        Check(NumClasses <= MaxClasses, $"num_classes {NumClasses} is above the {MaxClasses} supported");
        Check(BlockSize <= MaxBlockSize, $"block_size {BlockSize} is above the {MaxBlockSize} supported");
        Check(MultipleOf <= MaxDim, $"multiple_of {MultipleOf} is above the {MaxDim} supported");
        Check(FfnDimMultiplier is null or <= 16, $"ffn_dim_multiplier {FfnDimMultiplier} is above the 16 supported");
        Check(Layers % 2 == 0, $"n_layer {Layers} must be even (half self-attention, half cross-attention layers)");
        Check(Dim % Heads == 0, $"dim {Dim} must be a multiple of n_head {Heads}");
        Check(HeadDim % 4 == 0, $"head dim {HeadDim} must be a multiple of 4 (2-D RoPE)");
        Check(VocabSize > 0 && NumClasses > 0, "vocab_size and num_classes must be positive");
        Check(BlockSize > 0 && GridSize * GridSize == BlockSize, $"block_size {BlockSize} must be a square (g*g tokens)");
        Check(MultipleOf > 0, "multiple_of must be positive");
        Check(FfnDimMultiplier is null or > 0, "ffn_dim_multiplier must be positive or null");
        Check(RopeBase > 0 && NormEps > 0, "rope_base and norm_eps must be positive");
        Check(ClsTokenNum == 1, $"cls_token_num {ClsTokenNum}: only 1 is supported (the class-conditional models)");
        return this;
    }

    /// <summary>
    /// Every tensor the model expects in a state dict, with its shape, by the official names.
    /// </summary>
    public IReadOnlyDictionary<string, int[]> ExpectedTensors()
    {
        int d = Dim, h = FfnHidden;
        var t = new Dictionary<string, int[]> { ["embeddings.weight"] = [EmbeddingRows, d] };
        void Block(string p, bool self)
        {
            t[$"{p}.attn.to_q.weight"] = [d, d];
            if (self)
            {
                t[$"{p}.attn.to_k.weight"] = [d, d];
                t[$"{p}.attn.to_v.weight"] = [d, d];
            }
            t[$"{p}.attn.proj.weight"] = [d, d];
            t[$"{p}.ffn.w1.weight"] = [h, d];
            t[$"{p}.ffn.w3.weight"] = [h, d];
            t[$"{p}.ffn.w2.weight"] = [d, h];
            t[$"{p}.attn_norm.weight"] = [d];
            t[$"{p}.ffn_norm.weight"] = [d];
        }
        for (int i = 0; i < Layers / 2; i++)
            Block($"layers.self_dec.{i}", self: true);
        t["layers.norm.weight"] = [d];
        t["layers.to_k.weight"] = [d, d];
        t["layers.to_v.weight"] = [d, d];
        for (int i = 0; i < Layers / 2; i++)
            Block($"layers.cross_dec.{i}", self: false);
        t["norm.weight"] = [d];
        t["head.weight"] = [VocabSize, d];
        return t;
    }

    /// <summary>Parameters in the model (for reports).</summary>
    public long ParameterCount => checked(ExpectedTensors().Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));

    /// <summary>Reads the "arpg" object of the fixture JSON schema (official ModelArgs names).</summary>
    public static ArpgConfig FromJson(JsonElement arpg, string source)
    {
        var json = new JsonFields(arpg, source);
        return new ArpgConfig
        {
            Dim = json.Int("dim"),
            Layers = json.Int("n_layer"),
            Heads = json.Int("n_head"),
            VocabSize = json.Int("vocab_size", 16384),
            NumClasses = json.Int("num_classes", 1000),
            BlockSize = json.Int("block_size", 256),
            MultipleOf = json.Int("multiple_of", 256),
            FfnDimMultiplier = json.NullableDouble("ffn_dim_multiplier"),
            RopeBase = (float)json.Double("rope_base", 10000),
            NormEps = (float)json.Double("norm_eps", 1e-5),
            ClsTokenNum = json.Int("cls_token_num", 1),
        }.Validate(source);
    }
}
