using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Tests.Vq;

/// <summary>A fixture's VQ config, its checkpoint loaded on a device, and its expected tensors.</summary>
internal sealed class VqFixture : IDisposable
{
    public VqFixture(string name, ComputeDevice device)
    {
        Config = ModelConfigFile.Read(Fixtures.PathOf(name, "json")).Vq!;
        using (StateDict weights = StateDict.Open(Fixtures.PathOf(name, "vq.pt")))
            Model = VqModel.Load(device, Config, weights);
        Expected = StateDict.Open(Fixtures.PathOf(name, "expected.safetensors"));
    }

    public VqConfig Config { get; }
    public VqModel Model { get; }
    public StateDict Expected { get; }

    public int[] Shape(string tensor) => Expected.Info(tensor).Shape;

    public int[] Ints(string tensor) => Expected.ReadInt64(tensor).Select(v => checked((int)v)).ToArray();

    public void Dispose()
    {
        Model.Dispose();
        Expected.Dispose();
    }
}
