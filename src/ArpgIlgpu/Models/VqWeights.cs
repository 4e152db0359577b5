using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Models;

/// <summary>
/// Uploads the VQ's tensors to the device by their official names and builds the layers from
/// them. Every tensor it creates is kept, so the model can free them all. <paramref name="read"/>'s
/// values need stay valid only until the next read (<see cref="StagedWeights"/>).
/// </summary>
internal sealed class VqWeights(ComputeDevice device, IReadOnlyDictionary<string, int[]> shapes,
    Func<string, ReadOnlySpan<float>> read) : IDisposable
{
    private readonly List<Tensor<float>> uploaded = [];

    /// <summary>Uploads one tensor, with the shape the config expects.</summary>
    public Tensor<float> Tensor(string name)
    {
        var t = Runtime.Tensor<float>.FromArray(device, read(name), shapes[name]);
        uploaded.Add(t);
        return t;
    }

    public ConvLayer Conv(string prefix) => new(Tensor($"{prefix}.weight"), Tensor($"{prefix}.bias"));

    public GroupNormLayer Norm(string prefix) => new(Tensor($"{prefix}.weight"), Tensor($"{prefix}.bias"));

    public ResnetBlock Res(string prefix) => new(
        Norm($"{prefix}.norm1"), Conv($"{prefix}.conv1"), Norm($"{prefix}.norm2"), Conv($"{prefix}.conv2"),
        shapes.ContainsKey($"{prefix}.nin_shortcut.weight") ? Conv($"{prefix}.nin_shortcut") : null);

    public AttnBlock Attn(string prefix) => new(
        Norm($"{prefix}.norm"), Conv($"{prefix}.q"), Conv($"{prefix}.k"), Conv($"{prefix}.v"), Conv($"{prefix}.proj_out"));

    /// <summary>prefix.mid.0 (res), prefix.mid.1 (attn), prefix.mid.2 (res).</summary>
    public MidBlock Mid(string prefix) =>
        new(Res($"{prefix}.mid.0"), Attn($"{prefix}.mid.1"), Res($"{prefix}.mid.2"));

    /// <summary>prefix.res.0 .. res.{count-1}, with prefix.attn.j after each when <paramref name="attention"/>.</summary>
    public LevelBlocks Level(string prefix, int count, bool attention) => new(
        Enumerable.Range(0, count).Select(j => Res($"{prefix}.res.{j}")).ToArray(),
        attention ? Enumerable.Range(0, count).Select(j => Attn($"{prefix}.attn.{j}")).ToArray() : []);

    public void Dispose()
    {
        foreach (Tensor<float> t in uploaded)
            t.Dispose();
        uploaded.Clear();
    }
}
