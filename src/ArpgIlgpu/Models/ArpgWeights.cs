using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>The weights of one transformer block, by the official names (attn.*, ffn.*, *_norm).</summary>
public sealed class BlockWeights : IDisposable
{
    internal BlockWeights(Func<string, Tensor<float>> load, string prefix, bool selfAttention)
    {
        AttnNorm = load($"{prefix}.attn_norm.weight");
        ToQ = load($"{prefix}.attn.to_q.weight");
        if (selfAttention)
        {
            ToK = load($"{prefix}.attn.to_k.weight");
            ToV = load($"{prefix}.attn.to_v.weight");
        }
        Proj = load($"{prefix}.attn.proj.weight");
        FfnNorm = load($"{prefix}.ffn_norm.weight");
        W1 = load($"{prefix}.ffn.w1.weight");
        W2 = load($"{prefix}.ffn.w2.weight");
        W3 = load($"{prefix}.ffn.w3.weight");
    }

    /// <summary>RMSNorm before attention: [dim].</summary>
    public Tensor<float> AttnNorm { get; }
    /// <summary>Query projection: [dim, dim].</summary>
    public Tensor<float> ToQ { get; }
    /// <summary>Key projection (self-attention layers only): [dim, dim].</summary>
    public Tensor<float>? ToK { get; }
    /// <summary>Value projection (self-attention layers only): [dim, dim].</summary>
    public Tensor<float>? ToV { get; }
    /// <summary>Attention output projection: [dim, dim].</summary>
    public Tensor<float> Proj { get; }
    /// <summary>RMSNorm before the feed-forward: [dim].</summary>
    public Tensor<float> FfnNorm { get; }
    /// <summary>SwiGLU gate projection: [hidden, dim].</summary>
    public Tensor<float> W1 { get; }
    /// <summary>SwiGLU down projection: [dim, hidden].</summary>
    public Tensor<float> W2 { get; }
    /// <summary>SwiGLU up projection: [hidden, dim].</summary>
    public Tensor<float> W3 { get; }

    /// <summary>Every tensor of the block.</summary>
    internal IEnumerable<Tensor<float>> Tensors() =>
        new[] { AttnNorm, ToQ, ToK, ToV, Proj, FfnNorm, W1, W2, W3 }.OfType<Tensor<float>>();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors())
            t.Dispose();
    }
}

/// <summary>
/// All weights of the ARPG transformer on the device, bound once from a state dict by the
/// official names (STYLE.md: named fields, bound once).
/// </summary>
public sealed class ArpgWeights : IDisposable
{
    private ArpgWeights(ArpgConfig config, Func<string, Tensor<float>> load)
    {
        Embeddings = load("embeddings.weight");
        SelfLayers = Enumerable.Range(0, config.Layers / 2)
            .Select(i => new BlockWeights(load, $"layers.self_dec.{i}", selfAttention: true)).ToArray();
        SharedNorm = load("layers.norm.weight");
        SharedToK = load("layers.to_k.weight");
        SharedToV = load("layers.to_v.weight");
        CrossLayers = Enumerable.Range(0, config.Layers / 2)
            .Select(i => new BlockWeights(load, $"layers.cross_dec.{i}", selfAttention: false)).ToArray();
        Norm = load("norm.weight");
        Head = load("head.weight");
    }

    /// <summary>Token embeddings: [codes + mask + classes + no-class + unused, dim].</summary>
    public Tensor<float> Embeddings { get; }
    /// <summary>Pass 1: the self-attention decoder layers.</summary>
    public BlockWeights[] SelfLayers { get; }
    /// <summary>RMSNorm before the shared key/value projections: [dim].</summary>
    public Tensor<float> SharedNorm { get; }
    /// <summary>The shared key projection read by every pass-2 layer: [dim, dim].</summary>
    public Tensor<float> SharedToK { get; }
    /// <summary>The shared value projection: [dim, dim].</summary>
    public Tensor<float> SharedToV { get; }
    /// <summary>Pass 2: the cross-attention decoder layers.</summary>
    public BlockWeights[] CrossLayers { get; }
    /// <summary>Final RMSNorm: [dim].</summary>
    public Tensor<float> Norm { get; }
    /// <summary>Output head: [vocab, dim].</summary>
    public Tensor<float> Head { get; }

    /// <summary>
    /// Checks every tensor's shape against the config (first mismatch reported with both shapes),
    /// then uploads the weights as float32.
    /// </summary>
    public static ArpgWeights Load(ComputeDevice device, ArpgConfig config, StateDict stateDict)
    {
        IReadOnlyDictionary<string, int[]> expected = config.ExpectedTensors();
        ShapeCheck.Verify(stateDict, expected, ignoreUnexpected: _ => false, hint: "is --model (or --config) right?");
        return new ArpgWeights(config, name => Tensor<float>.FromArray(device, stateDict.ReadFloat32(name), expected[name]));
    }

    /// <summary>
    /// Random weights of the right shapes (normal, std 0.02 as the official initialisation; norms
    /// at 1): for benchmarks and for trying the pipeline without downloads. The images are noise.
    /// </summary>
    public static ArpgWeights CreateRandom(ComputeDevice device, ArpgConfig config, int seed)
    {
        IReadOnlyDictionary<string, int[]> shapes = config.ExpectedTensors();
        var rng = new Random(seed);
        return new ArpgWeights(config, name =>
        {
            int[] shape = shapes[name];
            var data = new float[Tensor<float>.ElementCount(shape)];
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                Array.Fill(data, 1f);
            else
                RandomNormal.Fill(rng, data, 0.02f);
            return Tensor<float>.FromArray(device, data, shape);
        });
    }

    /// <summary>Bytes of all weights on the device.</summary>
    public long Bytes => All().Sum(t => t.Bytes);

    private IEnumerable<Tensor<float>> All()
    {
        yield return Embeddings;
        foreach (var t in SelfLayers.Concat(CrossLayers).SelectMany(b => b.Tensors()))
            yield return t;
        yield return SharedNorm;
        yield return SharedToK;
        yield return SharedToV;
        yield return Norm;
        yield return Head;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in All())
            t.Dispose();
    }
}
