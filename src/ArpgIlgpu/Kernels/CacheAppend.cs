using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Where one <see cref="Ops.AppendToCache"/> call reads and writes. The new tokens are
/// Batch * Tokens rows of a projection's output, RowStride apart (3 * width for a fused q|k|v
/// projection, 2 * width for k|v), their keys at column KeyColumn and their values at
/// ValueColumn. They land in caches [Batch, Capacity, width] at positions Start .. Start+Tokens-1.
/// The keys rotate by RoPE slots[r mod SlotPeriod] of row r = b * Tokens + t.
/// </summary>
public readonly record struct CacheAppendShape(
    int Batch, int Tokens, int Heads, int Pairs, int Capacity, int Start,
    int RowStride, int KeyColumn, int ValueColumn, int SlotPeriod)
{
    /// <summary>Heads * 2 * Pairs: the width of one key or value row.</summary>
    public int Width => Heads * 2 * Pairs;
}

/// <summary>Appending new keys and values to a KV cache, straight from the projection's output.</summary>
internal static class CacheAppendKernels
{
    /// <summary>
    /// RoPE of the keys and the append in one pass. One thread per (row r = b * Tokens + t,
    /// head h, pair i), with column = h * 2 * Pairs + 2i and (c, s) = table[slots[r mod SlotPeriod], i]:
    ///   (k0, k1) = kv[r * RowStride + KeyColumn + column + 0..1]
    ///   kCache[b, Start + t, column + 0..1] = (k0 c - k1 s, k1 c + k0 s)
    ///   vCache[b, Start + t, column + 0..1] = kv[r * RowStride + ValueColumn + column + 0..1]
    /// kv: the projection's output, [Batch * Tokens, RowStride]; caches: [Batch, Capacity, Width]
    /// in float32 or float16 (<typeparamref name="SC"/> rounds on the store).
    /// </summary>
    [Kernel]
    public static void RotateKeysAndAppend<TC, SC>(Index1D index, ArrayView<float> kv, ArrayView<TC> kCache,
        ArrayView<TC> vCache, ArrayView<int> slots, ArrayView<float> cos, ArrayView<float> sin, CacheAppendShape s,
        ThreadRuns runs)
        where TC : unmanaged where SC : struct, IStorage<TC>
    {
        SC storage = default;
        int rowPairs = s.Heads * s.Pairs;
        for (int idx = runs.First(index); idx < runs.End(index); idx++)
        {
            int r = idx / rowPairs, column = 2 * (idx % rowPairs);
            int b = r / s.Tokens, t = r % s.Tokens;
            long from = (long)r * s.RowStride + column;
            long to = ((long)b * s.Capacity + s.Start + t) * s.Width + column;
            long slot = (long)slots[r % s.SlotPeriod] * s.Pairs + idx % s.Pairs;
            float c = cos[slot], sn = sin[slot];
            float k0 = kv[from + s.KeyColumn], k1 = kv[from + s.KeyColumn + 1];
            storage.Store(kCache, to, RopeKernels.RotatedFirst(k0, k1, c, sn));
            storage.Store(kCache, to + 1, RopeKernels.RotatedSecond(k0, k1, c, sn));
            storage.Store(vCache, to, kv[from + s.ValueColumn]);
            storage.Store(vCache, to + 1, kv[from + s.ValueColumn + 1]);
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>,
        ArrayView<float>, CacheAppendShape, ThreadRuns>? appendToCache32;
    private Action<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<float>,
        ArrayView<float>, CacheAppendShape, ThreadRuns>? appendToCache16;

    /// <summary>
    /// Appends the keys (rotated by RoPE) and values of new tokens to a key cache and a value cache
    /// stored in float32 or float16, reading them where the projection wrote them (see
    /// <see cref="CacheAppendShape"/>). slots: [SlotPeriod]; cos, sin: the device copies of a <see cref="RotaryTable"/>.
    /// </summary>
    public void AppendToCache(ArrayView<float> kv, StorageTensor kCache, StorageTensor vCache, ArrayView<int> slots,
        ArrayView<float> cos, ArrayView<float> sin, CacheAppendShape shape)
    {
        if (kCache.Precision != vCache.Precision)
            throw new ArgumentException("AppendToCache: keys and values stored in different precisions");
        int rows = shape.Batch * shape.Tokens;
        if (rows == 0)
            return;
        if (shape.Start < 0 || shape.Start + shape.Tokens > shape.Capacity)
            throw new ArgumentException($"AppendToCache: positions {shape.Start} .. {shape.Start + shape.Tokens - 1} in a cache of {shape.Capacity}");
        if (Math.Max(shape.KeyColumn, shape.ValueColumn) + shape.Width > shape.RowStride || Math.Min(shape.KeyColumn, shape.ValueColumn) < 0)
            throw new ArgumentException($"AppendToCache: columns {shape.KeyColumn} and {shape.ValueColumn} of {shape.Width} do not fit rows of {shape.RowStride}");
        if (shape.SlotPeriod <= 0 || rows % shape.SlotPeriod != 0)
            throw new ArgumentException($"AppendToCache: {rows} rows are not a whole number of periods of {shape.SlotPeriod}");
        Require(kv, (long)rows * shape.RowStride, "AppendToCache kv");
        Require(slots, shape.SlotPeriod, "AppendToCache slots");
        long cacheLength = (long)shape.Batch * shape.Capacity * shape.Width;
        if (kCache.Length < cacheLength || vCache.Length < cacheLength)
            throw new ArgumentException($"AppendToCache: caches hold {kCache.Length} and {vCache.Length} elements, the shape needs {cacheLength}");
        ThreadRuns runs = Runs((long)rows * shape.Heads * shape.Pairs);
        if (kCache.F32 is { } k32)
        {
            appendToCache32 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, CacheAppendShape, ThreadRuns>(
                CacheAppendKernels.RotateKeysAndAppend<float, Fp32Storage>, ImplicitGroupSize);
            appendToCache32(runs.Threads, kv, k32.View, vCache.F32!.View, slots, cos, sin, shape, runs);
        }
        else
        {
            appendToCache16 ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>,
                ArrayView<ushort>, ArrayView<int>, ArrayView<float>, ArrayView<float>, CacheAppendShape, ThreadRuns>(
                CacheAppendKernels.RotateKeysAndAppend<ushort, Fp16Storage>, ImplicitGroupSize);
            appendToCache16(runs.Threads, kv, kCache.F16!.View, vCache.F16!.View, slots, cos, sin, shape, runs);
        }
    }
}
