using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>Writes the float32 values of the named tensor into a span of exactly its elements (from a checkpoint, or random).</summary>
internal delegate void WeightSource(string name, Span<float> values);

/// <summary>
/// Hands out a model's tensors one at a time, each decoded into the same <see cref="StagingBuffer"/>
/// (sized by the largest of <paramref name="shapes"/>) and valid until the next read: the loaders
/// upload each before asking for the next, so a load streams the checkpoint tensor by tensor.
/// </summary>
internal sealed class StagedWeights(ComputeDevice device, IReadOnlyDictionary<string, int[]> shapes, WeightSource source)
    : IDisposable
{
    private readonly StagingBuffer staging = new(device, Largest(shapes));

    /// <summary>What the staging buffer for <paramref name="shapes"/> takes from <paramref name="device"/>'s budget during a load.</summary>
    public static long BytesOnDevice(ComputeDevice device, IReadOnlyDictionary<string, int[]> shapes) =>
        StagingBuffer.BytesOnDevice(device, Largest(shapes));

    private static long Largest(IReadOnlyDictionary<string, int[]> shapes) => shapes.Values.Max(s => Tensor<float>.ElementCount(s));

    /// <summary>The values of <paramref name="name"/>, in the shape the model expects, until the next read.</summary>
    public ReadOnlySpan<float> Read(string name)
    {
        Span<float> values = staging.Take(Tensor<float>.ElementCount(shapes[name]));
        source(name, values);
        return values;
    }

    /// <inheritdoc />
    public void Dispose() => staging.Dispose();
}
