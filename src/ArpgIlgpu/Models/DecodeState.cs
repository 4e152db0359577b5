using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>
/// Everything one generation (or scoring) run keeps on the device, allocated once up front
/// (STYLE.md: nothing is allocated inside the step loop): the KV caches, the activations of the
/// largest step, and the small integer inputs (token ids, RoPE slots) of the next call: written
/// by the host (<see cref="SetInputs(ReadOnlySpan{int}, ReadOnlySpan{int})"/>) or already on the
/// device (the generation loop's sampled tokens and its order's slots).
/// </summary>
/// <remarks>
/// Caches: one key/value pair per pass-1 (self-attention) layer, plus the single shared pair that
/// pass 1 ends with and every pass-2 (cross-attention) layer reads. Each is [Rows, Capacity, dim]
/// with Capacity the positions pass 1 will append: L + 1 (the class token and every image token)
/// for scoring, 1 + L minus the last step's tokens for generation (nothing reads those back).
/// The head's logits and the feed-forward's activations share one buffer: a step's logits are
/// sampled before any later feed-forward runs (the device runs its work in order), and the head
/// reads neither.
/// </remarks>
public sealed class DecodeState : IDisposable
{
    /// <summary>The parameter the error for too many sequences names: the images generated together.</summary>
    public const string BatchParameter = "batch";

    private readonly List<IDisposable> owned = [];

    internal DecodeState(ComputeDevice device, ArpgConfig config, int rows, int maxInputs, int maxQueries, int capacity,
        Precision cachePrecision)
    {
        if (capacity < 1 || capacity > config.BlockSize + config.ClsTokenNum)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                $"a cache holds 1 .. {config.BlockSize + config.ClsTokenNum} positions");
        Rows = rows;
        Capacity = capacity;
        MaxInputs = maxInputs;
        MaxQueries = maxQueries;
        int d = config.Dim;
        // kernels index with 32-bit ints: the largest tensors (caches, the FFN activations and
        // logits' shared buffer) must fit
        long largest = Math.Max((long)rows * Capacity * d,
            (long)rows * Math.Max(maxInputs, maxQueries) * Math.Max(3 * config.FfnHidden, config.VocabSize));
        if (largest > int.MaxValue)
            throw new InvalidParameterException(BatchParameter, null,
                $"{rows} sequences (two per image with guidance) are too many for one decoding state of this model; generate fewer images at a time");
        int inRows = rows * maxInputs, qRows = rows * maxQueries, widest = Math.Max(inRows, qRows);
        try
        {
            long allocated = 0;
            T Own<T>(T t) where T : IDisposable
            {
                owned.Add(t);
                return t;
            }
            Tensor<float> F(params int[] shape)
            {
                var t = Own(new Tensor<float>(device, shape));
                allocated += t.Bytes;
                return t;
            }
            StorageTensor C() => Own(StorageTensor.Allocate(device, cachePrecision, rows, Capacity, d));
            Tensor<int> I(params int[] shape)
            {
                var t = Own(new Tensor<int>(device, shape));
                allocated += t.Bytes;
                return t;
            }

            SelfK = Enumerable.Range(0, config.Layers / 2).Select(_ => C()).ToArray();
            SelfV = Enumerable.Range(0, config.Layers / 2).Select(_ => C()).ToArray();
            SharedK = C();
            SharedV = C();
            KvCacheBytes = SelfK.Concat(SelfV).Append(SharedK).Append(SharedV).Sum(t => t.Bytes);

            X = F(inRows, d);
            Queries = F(qRows, d);
            Normed = F(widest, d);
            Projected = F(inRows, 3 * d);
            Q = F(widest, d);
            Attended = F(widest, d);
            // [widest, 2 * hidden] then [widest, hidden], or [qRows, vocab]: never live together
            long feedForward = (long)widest * 3 * config.FfnHidden, logits = (long)qRows * config.VocabSize;
            ArrayView<float> shared = F((int)Math.Max(feedForward, logits)).View;
            GateUp = shared.SubView(0, (long)widest * 2 * config.FfnHidden);
            Gated = shared.SubView(GateUp.Length, (long)widest * config.FfnHidden);
            Logits = shared.SubView(0, logits);
            InputIds = I(inRows);
            InputSlots = I(inRows);
            QuerySlots = I(qRows);
            MaskIds = I(qRows);
            MaskIds.Upload(Enumerable.Repeat(config.MaskTokenId, qRows).ToArray());
            ActivationBytes = allocated;
        }
        catch
        {
            // a failed allocation (out of memory) must not keep the ones before it
            Dispose();
            throw;
        }
    }

    /// <summary>Independent sequences (2B with classifier-free guidance).</summary>
    public int Rows { get; }
    /// <summary>Cache positions per row: the class token plus the image tokens pass 1 will append.</summary>
    public int Capacity { get; }
    /// <summary>The most tokens one pass-1 call may feed per row.</summary>
    public int MaxInputs { get; }
    /// <summary>The most queries one pass-2 call may ask per row.</summary>
    public int MaxQueries { get; }
    /// <summary>Positions filled in every cache so far.</summary>
    public int Length { get; internal set; }

    /// <summary>Bytes of all KV caches.</summary>
    public long KvCacheBytes { get; }
    /// <summary>Bytes of the activations and step inputs.</summary>
    public long ActivationBytes { get; }

    internal StorageTensor[] SelfK { get; }
    internal StorageTensor[] SelfV { get; }
    internal StorageTensor SharedK { get; }
    internal StorageTensor SharedV { get; }
    internal Tensor<float> X { get; }
    internal Tensor<float> Queries { get; }
    internal Tensor<float> Normed { get; }
    /// <summary>The output of pass 1's fused projections: q|k|v [inputs, 3 * dim], or the shared k|v [inputs, 2 * dim].</summary>
    internal Tensor<float> Projected { get; }
    internal Tensor<float> Q { get; }
    internal Tensor<float> Attended { get; }
    /// <summary>The fused w1|w3 projection of the feed-forward: [rows, 2 * hidden].</summary>
    internal ArrayView<float> GateUp { get; }
    /// <summary>silu(gate) * up: [rows, hidden].</summary>
    internal ArrayView<float> Gated { get; }
    internal Tensor<int> InputIds { get; }
    internal Tensor<int> InputSlots { get; }
    internal Tensor<int> QuerySlots { get; }
    internal Tensor<int> MaskIds { get; }

    /// <summary>The logits of the last pass-2 call: [Rows, queries, vocab], row-major.</summary>
    public ArrayView<float> Logits { get; }

    /// <summary>
    /// Writes the tokens pass 1 will read next. ids: [Rows * n] (row-major [Rows, n]);
    /// slots: RoPE slots, [n] shared by every row or [Rows * n] one per token.
    /// </summary>
    public void SetInputs(ReadOnlySpan<int> ids, ReadOnlySpan<int> slots)
    {
        int n = ids.Length / Rows;
        if (ids.Length != Rows * n)
            throw new ArgumentException($"{ids.Length} input ids for {Rows} rows (at most {MaxInputs} each)");
        CheckInputs(n, slots.Length);
        InputIds.Slice(0, ids.Length).CopyFromCPU(ids);
        InputSlots.Slice(0, slots.Length).CopyFromCPU(slots);
        BindInputs(n, InputSlots.Slice(0, slots.Length));
    }

    /// <summary>
    /// As the host form, with everything already on the device: pass 1 reads the first Rows * n
    /// ids of <see cref="InputIds"/> (row-major [Rows, n]; the generation loop's scatter kernel
    /// writes them there) and the RoPE slots <paramref name="slots"/>: [n] or [Rows * n].
    /// </summary>
    internal void SetInputs(int n, ArrayView<int> slots)
    {
        CheckInputs(n, slots.Length);
        BindInputs(n, slots);
    }

    /// <summary>Writes the RoPE slots of the next queries: [m] shared by every row, or [Rows * m].</summary>
    public void SetQueries(int m, ReadOnlySpan<int> slots)
    {
        CheckQueries(m, slots.Length);
        QuerySlots.Slice(0, slots.Length).CopyFromCPU(slots);
        BindQueries(m, QuerySlots.Slice(0, slots.Length));
    }

    /// <summary>As the host form, with the slots already on the device: [m] shared by every row, or [Rows * m].</summary>
    internal void SetQueries(int m, ArrayView<int> slots)
    {
        CheckQueries(m, slots.Length);
        BindQueries(m, slots);
    }

    private void CheckInputs(int n, long slotCount)
    {
        if (n < 1 || n > MaxInputs)
            throw new ArgumentException($"{n} inputs for each of {Rows} rows (at most {MaxInputs} each)");
        if (slotCount != n && slotCount != (long)Rows * n)
            throw new ArgumentException($"{slotCount} slots for {n} inputs per row");
        if (Length + n > Capacity)
            throw new InvalidOperationException($"the KV cache holds {Capacity} positions; {Length} + {n} requested");
    }

    private void CheckQueries(int m, long slotCount)
    {
        if (m < 1 || m > MaxQueries)
            throw new ArgumentException($"{m} queries per row (at most {MaxQueries})");
        if (slotCount != m && slotCount != (long)Rows * m)
            throw new ArgumentException($"{slotCount} query slots for {m} queries per row");
    }

    private void BindInputs(int n, ArrayView<int> slots)
    {
        InputCount = n;
        InputSlotsInUse = slots;
    }

    private void BindQueries(int m, ArrayView<int> slots)
    {
        QueryCount = m;
        QuerySlotsInUse = slots;
    }

    internal int InputCount { get; private set; }
    /// <summary>The RoPE slots of pass 1's inputs: [n] or [Rows * n] (its length is the period).</summary>
    internal ArrayView<int> InputSlotsInUse { get; private set; }
    internal int QueryCount { get; private set; }
    /// <summary>The RoPE slots of pass 2's queries: [m] or [Rows * m] (its length is the period).</summary>
    internal ArrayView<int> QuerySlotsInUse { get; private set; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in owned)
            t.Dispose();
    }
}
