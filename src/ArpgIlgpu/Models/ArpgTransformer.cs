using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>
/// ARPG's two-pass decoder (Li et al., ICLR 2026), the port of the official <c>Transformer</c>.
/// <list type="number">
/// <item>Pass 1 (<see cref="Append"/>): the tokens known so far run through Layers/2
/// self-attention blocks against their own KV caches; one RMSNorm and one key/value projection
/// turn the result into a single shared key/value set, appended to the shared cache.</item>
/// <item>Pass 2 (<see cref="Predict"/>): queries that carry no content (the [MASK] embedding)
/// but know the position they must predict (RoPE of the target: "target-aware") run through
/// Layers/2 cross-attention blocks that read the shared cache; they never see each other. So any
/// set of positions can be predicted at once, in any order.</item>
/// </list>
/// Every block is pre-norm: x += Attention(RMSNorm(x)); x += SwiGLU(RMSNorm(x)).
/// </summary>
public sealed class ArpgTransformer : IDisposable
{
    private readonly ComputeDevice device;
    private readonly ArpgWeights w;
    private readonly Tensor<float> ropeCos, ropeSin;
    private readonly int pairs;

    private ArpgTransformer(ComputeDevice device, ArpgConfig config, ArpgWeights weights)
    {
        this.device = device;
        Config = config;
        w = weights;
        var rope = RotaryTable.Create(config.GridSize, config.HeadDim, config.RopeBase);
        ropeCos = Tensor<float>.FromArray(device, rope.Cos, rope.Slots, rope.Pairs);
        ropeSin = Tensor<float>.FromArray(device, rope.Sin, rope.Slots, rope.Pairs);
        pairs = rope.Pairs;
    }

    /// <summary>The device the weights live on.</summary>
    public ComputeDevice Device => device;

    /// <summary>The hyper-parameters.</summary>
    public ArpgConfig Config { get; }

    /// <summary>Bytes of the weights on the device.</summary>
    public long WeightBytes => w.Bytes;

    /// <summary>
    /// When set, receives a copy of each block's output as it is computed: "self{i}"
    /// [rows, n, dim] after pass-1 block i and "cross{i}" [rows, m, dim] after pass-2 block i.
    /// For tests against the official activations and for readers who want to look inside;
    /// it synchronises the device, so leave it null for speed.
    /// </summary>
    public Action<string, float[]>? Trace { get; set; }

    /// <summary>
    /// Loads the weights from a state dict, checking every shape against the config. With
    /// <see cref="Precision.Fp16"/> the weight matrices and the KV caches are stored as float16
    /// (half the memory and traffic); every sum is still accumulated in float32.
    /// </summary>
    public static ArpgTransformer Load(ComputeDevice device, ArpgConfig config, StateDict stateDict,
        Precision precision = Precision.Fp32) =>
        new(device, config, ArpgWeights.Load(device, config, stateDict, precision));

    /// <summary>A randomly initialised model of the config's shape (benchmarks, demos).</summary>
    public static ArpgTransformer CreateRandom(ComputeDevice device, ArpgConfig config, int seed,
        Precision precision = Precision.Fp32) =>
        new(device, config, ArpgWeights.CreateRandom(device, config, seed, precision));

    /// <summary>How weights and KV caches are stored.</summary>
    public Precision Precision => w.Precision;

    /// <summary>
    /// Allocates caches and activations for <paramref name="rows"/> sequences that feed at most
    /// <paramref name="maxInputs"/> tokens and ask at most <paramref name="maxQueries"/> queries per call,
    /// with caches of <paramref name="capacity"/> positions (default: the class token and all L tokens).
    /// </summary>
    public DecodeState CreateState(int rows, int maxInputs, int maxQueries, int? capacity = null) =>
        new(device, Config, rows, maxInputs, maxQueries, capacity ?? Config.BlockSize + Config.ClsTokenNum,
            w.Precision.ForTablesAndCaches());

    /// <summary>
    /// Pass 1: feeds the inputs set by <see cref="DecodeState.SetInputs(ReadOnlySpan{int}, ReadOnlySpan{int})"/>
    /// (n per row) through the self-attention layers and appends their keys and values to every cache.
    /// <paramref name="mask"/> None: the new tokens see the whole cache and each other (generation);
    /// Causal: token t sees the cache and new tokens 0..t (teacher-forced scoring, prefill).
    /// </summary>
    public void Append(DecodeState s, AttentionMask mask)
    {
        Ops ops = device.Ops;
        int n = s.InputCount, rows = s.Rows * n, d = Config.Dim, start = s.Length;
        ArrayView<float> x = s.X.Slice(0, (long)rows * d);
        ArrayView<float> h = s.Normed.Slice(0, (long)rows * d);
        ArrayView<float> q = s.Q.Slice(0, (long)rows * d);
        ArrayView<float> attended = s.Attended.Slice(0, (long)rows * d);
        ArrayView<int> slots = s.InputSlotsInUse;
        int period = (int)slots.Length;
        var shape = new AttentionShape(s.Rows, n, Config.Heads, Config.HeadDim, s.Capacity, start + n, mask, start);

        // x = embeddings of the new tokens: [rows, d]
        ops.Embedding(s.InputIds.View, w.Embeddings, x, rows, d);

        for (int i = 0; i < w.SelfLayers.Length; i++)
        {
            BlockWeights layer = w.SelfLayers[i];
            // q|k|v = RMSNorm(x) W_qkv^T, one GEMM for the three projections: [rows, 3d]
            ops.RmsNorm(x, layer.AttnNorm.View, Config.NormEps, h, rows, d);
            ArrayView<float> qkv = s.Projected.Slice(0, (long)rows * 3 * d);
            ops.Gemm(h, layer.ToQkv!, qkv, rows, 3 * d, d);
            // q, rotated by each token's own position, out of the first third of each row
            ops.Rope(qkv, 3 * d, q, d, slots, ropeCos.View, ropeSin.View, rows, Config.Heads, pairs, period);
            // k rotated the same way and v, straight into the layer's caches at positions start .. start+n-1
            ops.AppendToCache(qkv, s.SelfK[i], s.SelfV[i], slots, ropeCos.View, ropeSin.View,
                NewPositions(s, n, rowStride: 3 * d, keyColumn: d, period));
            // attend over the whole cache
            ops.Attention(q, s.SelfK[i], s.SelfV[i], attended, shape);
            // x += attended W_proj^T, then x += SwiGLU(RMSNorm(x))
            ops.Gemm(attended, layer.Proj, x, rows, d, d, accumulate: true);
            FeedForward(s, layer, x, rows);
            TraceRows($"self{i}", x);
        }

        // The shared key/value set of pass 2: k|v = RMSNorm(x) W_kv^T in one GEMM, k rotated by
        // the token's position, both appended to the one cache every cross layer reads.
        ops.RmsNorm(x, w.SharedNorm.View, Config.NormEps, h, rows, d);
        ArrayView<float> kv = s.Projected.Slice(0, (long)rows * 2 * d);
        ops.Gemm(h, w.SharedToKv, kv, rows, 2 * d, d);
        ops.AppendToCache(kv, s.SharedK, s.SharedV, slots, ropeCos.View, ropeSin.View,
            NewPositions(s, n, rowStride: 2 * d, keyColumn: 0, period));
        s.Length = start + n;
    }

    /// <summary>
    /// Pass 2 and the head: the queries set by <see cref="DecodeState.SetQueries(int, ReadOnlySpan{int})"/>
    /// go through <see cref="CrossPass"/>, then <see cref="Head"/> turns them into logits
    /// [rows, m, vocab] (<see cref="DecodeState.Logits"/>).
    /// </summary>
    public ArrayView<float> Predict(DecodeState s, AttentionMask mask)
    {
        CrossPass(s, mask);
        return Head(s);
    }

    /// <summary>
    /// Pass 2: the queries (m per row, [MASK] embeddings rotated by their target positions)
    /// attend to the shared cache through the cross-attention layers; they never see each other.
    /// <paramref name="mask"/> None: every query sees the whole cache (generation); Causal: query t
    /// sees cache positions 0..t (teacher-forced scoring).
    /// </summary>
    public void CrossPass(DecodeState s, AttentionMask mask)
    {
        Ops ops = device.Ops;
        int m = s.QueryCount, rows = s.Rows * m, d = Config.Dim;
        ArrayView<float> x = s.Queries.Slice(0, (long)rows * d);
        ArrayView<int> slots = s.QuerySlotsInUse;
        var shape = new AttentionShape(s.Rows, m, Config.Heads, Config.HeadDim, s.Capacity, s.Length, mask, 0);

        // every query starts as the [MASK] embedding: [rows, d]
        ops.Embedding(s.MaskIds.View, w.Embeddings, x, rows, d);

        for (int i = 0; i < w.CrossLayers.Length; i++)
        {
            BlockWeights layer = w.CrossLayers[i];
            ArrayView<float> h = s.Normed.Slice(0, (long)rows * d);
            // q = RMSNorm(x) W_q^T rotated by the position to predict (target-aware)
            ops.RmsNorm(x, layer.AttnNorm.View, Config.NormEps, h, rows, d);
            ArrayView<float> q = s.Q.Slice(0, (long)rows * d);
            ops.Gemm(h, layer.ToQ!, q, rows, d, d);
            ops.Rope(q, slots, ropeCos.View, ropeSin.View, rows, Config.Heads, pairs, (int)slots.Length);
            // attend to the shared keys and values; x += attended W_proj^T; x += SwiGLU(RMSNorm(x))
            ArrayView<float> attended = s.Attended.Slice(0, (long)rows * d);
            ops.Attention(q, s.SharedK, s.SharedV, attended, shape);
            ops.Gemm(attended, layer.Proj, x, rows, d, d, accumulate: true);
            FeedForward(s, layer, x, rows);
            TraceRows($"cross{i}", x);
        }
    }

    /// <summary>logits = RMSNorm(queries) W_head^T: [rows, m, vocab], after <see cref="CrossPass"/>.</summary>
    public ArrayView<float> Head(DecodeState s)
    {
        int rows = s.Rows * s.QueryCount, d = Config.Dim;
        ArrayView<float> normed = s.Normed.Slice(0, (long)rows * d);
        device.Ops.RmsNorm(s.Queries.Slice(0, (long)rows * d), w.Norm.View, Config.NormEps, normed, rows, d);
        ArrayView<float> logits = s.Logits.SubView(0, (long)rows * Config.VocabSize);
        device.Ops.Gemm(normed, w.Head, logits, rows, Config.VocabSize, d);
        return logits;
    }

    /// <summary>x += w2(silu(w1 h) * w3 h) with h = RMSNorm(x): the SwiGLU feed-forward. x: [rows, dim].</summary>
    private void FeedForward(DecodeState s, BlockWeights layer, ArrayView<float> x, int rows)
    {
        Ops ops = device.Ops;
        int d = Config.Dim, hidden = Config.FfnHidden;
        ArrayView<float> h = s.Normed.Slice(0, (long)rows * d);
        ArrayView<float> gateUp = s.GateUp.SubView(0, (long)rows * 2 * hidden);
        ArrayView<float> gated = s.Gated.SubView(0, (long)rows * hidden);
        ops.RmsNorm(x, layer.FfnNorm.View, Config.NormEps, h, rows, d);
        // w1 h | w3 h in one GEMM: [rows, 2 * hidden]
        ops.Gemm(h, layer.W1W3, gateUp, rows, 2 * hidden, d);
        ops.SiluMul(gateUp, gated, rows, hidden);
        ops.Gemm(gated, layer.W2, x, rows, d, hidden, accumulate: true);
    }

    /// <summary>
    /// Where pass 1's n new tokens per row go in a cache: positions Length .. Length+n-1, read
    /// from rows of a fused projection <paramref name="rowStride"/> wide whose keys start at
    /// <paramref name="keyColumn"/> and whose values follow them.
    /// </summary>
    private CacheAppendShape NewPositions(DecodeState s, int n, int rowStride, int keyColumn, int slotPeriod) =>
        new(s.Rows, n, Config.Heads, pairs, s.Capacity, s.Length, rowStride, keyColumn, keyColumn + Config.Dim, slotPeriod);

    private void TraceRows(string name, ArrayView<float> x)
    {
        if (Trace is null)
            return;
        var copy = new float[x.Length];
        x.CopyToCPU(copy);
        Trace(name, copy);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        w.Dispose();
        ropeCos.Dispose();
        ropeSin.Dispose();
    }
}
