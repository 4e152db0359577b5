using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>The weights of one transformer block, by the official names (attn.*, ffn.*, *_norm).</summary>
public sealed class BlockWeights : IDisposable
{
    internal BlockWeights(WeightLoader load, string prefix, bool selfAttention)
    {
        AttnNorm = load.Vector($"{prefix}.attn_norm.weight");
        if (selfAttention)
            ToQkv = load.Stacked($"{prefix}.attn.to_q.weight", $"{prefix}.attn.to_k.weight", $"{prefix}.attn.to_v.weight");
        else
            ToQ = load.Matrix($"{prefix}.attn.to_q.weight");
        Proj = load.Matrix($"{prefix}.attn.proj.weight");
        FfnNorm = load.Vector($"{prefix}.ffn_norm.weight");
        W1W3 = load.Stacked($"{prefix}.ffn.w1.weight", $"{prefix}.ffn.w3.weight");
        W2 = load.Matrix($"{prefix}.ffn.w2.weight");
    }

    /// <summary>RMSNorm before attention: [dim].</summary>
    public Tensor<float> AttnNorm { get; }
    /// <summary>
    /// Self-attention layers: the query, key and value projections (attn.to_q, to_k, to_v)
    /// stacked, so that one GEMM computes q|k|v: [3 * dim, dim].
    /// </summary>
    public StorageTensor? ToQkv { get; }
    /// <summary>Cross-attention layers: the query projection (their keys and values are the shared cache): [dim, dim].</summary>
    public StorageTensor? ToQ { get; }
    /// <summary>Attention output projection: [dim, dim].</summary>
    public StorageTensor Proj { get; }
    /// <summary>RMSNorm before the feed-forward: [dim].</summary>
    public Tensor<float> FfnNorm { get; }
    /// <summary>
    /// SwiGLU's gate (ffn.w1) and up (ffn.w3) projections stacked, so that one GEMM computes
    /// both halves of every row: [2 * hidden, dim].
    /// </summary>
    public StorageTensor W1W3 { get; }
    /// <summary>SwiGLU down projection: [dim, hidden].</summary>
    public StorageTensor W2 { get; }

    /// <summary>Every tensor of the block, with its bytes.</summary>
    internal IEnumerable<(IDisposable Tensor, long Bytes)> Tensors() =>
        new (IDisposable?, long)[]
        {
            (AttnNorm, AttnNorm.Bytes), (ToQkv, ToQkv?.Bytes ?? 0), (ToQ, ToQ?.Bytes ?? 0), (Proj, Proj.Bytes),
            (FfnNorm, FfnNorm.Bytes), (W1W3, W1W3.Bytes), (W2, W2.Bytes),
        }.Where(t => t.Item1 is not null).Select(t => (t.Item1!, t.Item2));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (t, _) in Tensors())
            t.Dispose();
    }
}

/// <summary>
/// All weights of the ARPG transformer on the device, bound once from a state dict by the
/// official names (STYLE.md: named fields, bound once).
/// </summary>
public sealed class ArpgWeights : IDisposable
{
    private ArpgWeights(ArpgConfig config, WeightLoader load)
    {
        Precision = load.Precision;
        Embeddings = load.Table("embeddings.weight");
        SelfLayers = Enumerable.Range(0, config.Layers / 2)
            .Select(i => new BlockWeights(load, $"layers.self_dec.{i}", selfAttention: true)).ToArray();
        SharedNorm = load.Vector("layers.norm.weight");
        SharedToKv = load.Stacked("layers.to_k.weight", "layers.to_v.weight");
        CrossLayers = Enumerable.Range(0, config.Layers / 2)
            .Select(i => new BlockWeights(load, $"layers.cross_dec.{i}", selfAttention: false)).ToArray();
        Norm = load.Vector("norm.weight");
        Head = load.Matrix("head.weight");
    }

    /// <summary>How the matrices are stored (norm weights are always float32; under Int8 the embeddings are float16).</summary>
    public Precision Precision { get; }

    /// <summary>Token embeddings: [codes + mask + classes + no-class + unused, dim].</summary>
    public StorageTensor Embeddings { get; }
    /// <summary>Pass 1: the self-attention decoder layers.</summary>
    public BlockWeights[] SelfLayers { get; }
    /// <summary>RMSNorm before the shared key/value projections: [dim].</summary>
    public Tensor<float> SharedNorm { get; }
    /// <summary>
    /// The shared key and value projections (layers.to_k, layers.to_v) stacked, whose output
    /// every pass-2 layer reads: [2 * dim, dim].
    /// </summary>
    public StorageTensor SharedToKv { get; }
    /// <summary>Pass 2: the cross-attention decoder layers.</summary>
    public BlockWeights[] CrossLayers { get; }
    /// <summary>Final RMSNorm: [dim].</summary>
    public Tensor<float> Norm { get; }
    /// <summary>Output head: [vocab, dim].</summary>
    public StorageTensor Head { get; }

    /// <summary>
    /// Checks every tensor's shape against the config (first mismatch reported with both shapes),
    /// then streams the weights to the device one tensor at a time (<see cref="StagedWeights"/>) in
    /// <paramref name="precision"/>. A checkpoint's q8_0 matrices (<see cref="Q8Checkpoint"/>) load as
    /// they are under Int8 and dequantised otherwise; float matrices are quantised at load under Int8.
    /// </summary>
    public static ArpgWeights Load(ComputeDevice device, ArpgConfig config, StateDict stateDict,
        Precision precision = Precision.Fp32)
    {
        IReadOnlyDictionary<string, int[]> expected = config.ExpectedTensors();
        ShapeCheck.Verify(stateDict, expected, ignoreUnexpected: n => Q8Checkpoint.IsScaleOf(n, expected),
            hint: "is the ARPG config the one this checkpoint was trained with?");
        RequireRoom(device, config, precision);
        using var staged = new StagedWeights(device, expected, (name, values) => Q8Checkpoint.ReadFloat32(stateDict, name, values));
        return new ArpgWeights(config, new WeightLoader(device, precision, expected, staged.Read,
            name => Q8Checkpoint.IsQuantized(stateDict, name) ? Q8Checkpoint.Read(stateDict, name) : null));
    }

    /// <summary>
    /// Random weights of the right shapes (normal, std 0.02 as the official initialisation; norms
    /// at 1): for benchmarks and for trying the pipeline without downloads. The images are noise.
    /// </summary>
    public static ArpgWeights CreateRandom(ComputeDevice device, ArpgConfig config, int seed,
        Precision precision = Precision.Fp32)
    {
        IReadOnlyDictionary<string, int[]> shapes = config.ExpectedTensors();
        RequireRoom(device, config, precision);
        var rng = new Random(seed);
        using var staged = new StagedWeights(device, shapes, (name, values) =>
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                values.Fill(1f);
            else
                RandomNormal.Fill(rng, values, 0.02f);
        });
        return new ArpgWeights(config, new WeightLoader(device, precision, shapes, staged.Read));
    }

    /// <summary>
    /// Refuses a config whose weights (matrices in <paramref name="precision"/>), with the staging
    /// buffer of their load, cannot fit on the device, before any is made. Under Int8 the matrices
    /// take 1.125 bytes per weight and the embedding table, which stays float16, 2; fp32 and fp16
    /// count every parameter at 4 and 2.
    /// </summary>
    private static void RequireRoom(ComputeDevice device, ArpgConfig config, Precision precision) =>
        MemoryCheck.RequireRoom(device, checked((long)Math.Ceiling(config.ExpectedTensors().Sum(t => Tensor<float>.ElementCount(t.Value) *
                (t.Key == "embeddings.weight" ? precision.ForTablesAndCaches() : precision).WeightBytesPerElement()))
                + StagedWeights.BytesOnDevice(device, config.ExpectedTensors())),
            $"the transformer's weights ({config.ParameterCount:N0} parameters, {config.Layers} layers of dim {config.Dim})");

    /// <summary>Bytes of all weights on the device.</summary>
    public long Bytes => All().Sum(t => t.Bytes);

    private IEnumerable<(IDisposable Tensor, long Bytes)> All() =>
        new (IDisposable, long)[]
        {
            (Embeddings, Embeddings.Bytes), (SharedNorm, SharedNorm.Bytes), (SharedToKv, SharedToKv.Bytes),
            (Norm, Norm.Bytes), (Head, Head.Bytes),
        }.Concat(SelfLayers.Concat(CrossLayers).SelectMany(b => b.Tensors()));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (t, _) in All())
            t.Dispose();
    }
}

/// <summary>
/// Uploads named weights: matrices in the chosen precision, tables (embeddings) in
/// <see cref="PrecisionRoles.ForTablesAndCaches"/>, vectors (norm weights) in float32.
/// <paramref name="read"/>'s values need stay valid only until the next read (<see cref="StagedWeights"/>);
/// <paramref name="readQ8"/> gives a matrix the checkpoint already holds in q8_0, uploaded as it is under Int8.
/// </summary>
internal sealed class WeightLoader(ComputeDevice device, Precision precision,
    IReadOnlyDictionary<string, int[]> shapes, Func<string, ReadOnlySpan<float>> read, Func<string, Q8Matrix?>? readQ8 = null)
{
    public Precision Precision => precision;

    public StorageTensor Matrix(string name) =>
        Quantized(name) is { } q8 ? StorageTensor.Upload(device, q8) : StorageTensor.Upload(device, precision, read(name), shapes[name]);

    public StorageTensor Table(string name) => StorageTensor.Upload(device, precision.ForTablesAndCaches(), read(name), shapes[name]);

    public Tensor<float> Vector(string name) => Tensor<float>.FromArray(device, read(name), shapes[name]);

    /// <summary>
    /// Matrices of the same width stacked row-wise into one (q|k|v, w1|w3): a GEMM with the
    /// result computes every projection at once, the first's outputs first in each row. Each is
    /// written into its rows on the device as it is read.
    /// </summary>
    public StorageTensor Stacked(params string[] names)
    {
        if (precision == Precision.Int8)
            return StorageTensor.Upload(device, Q8Matrix.Stack(names.Select(QuantizedPart).ToList()));
        int width = shapes[names[0]][1];
        if (names.Any(n => shapes[n][1] != width))
            throw new ArgumentException($"stacked matrices {string.Join(", ", names)} differ in width");
        var stacked = StorageTensor.Allocate(device, precision, names.Sum(n => shapes[n][0]), width);
        try
        {
            long at = 0;
            foreach (string name in names)
            {
                ReadOnlySpan<float> part = read(name);
                stacked.Write(at, part);
                at += part.Length;
            }
            return stacked;
        }
        catch
        {
            stacked.Dispose();
            throw;
        }
    }

    /// <summary>One part of an Int8 stack: the checkpoint's q8_0 form, or the float matrix quantised (q8_0 is per row, so stacking the parts is stacking the rows).</summary>
    private Q8Matrix QuantizedPart(string name) =>
        Quantized(name) ?? Q8Matrix.Quantize(read(name), shapes[name][0], shapes[name][1]);

    /// <summary>The checkpoint's q8_0 form of a matrix, when loading Int8 from a file that has one.</summary>
    private Q8Matrix? Quantized(string name) => precision == Precision.Int8 ? readQ8?.Invoke(name) : null;
}
