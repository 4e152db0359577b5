using System.Text.Json;
using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace ArpgIlgpu.Tests;

/// <summary>
/// One reference fixture: its configs (NAME.json), its expected tensors
/// (NAME.expected.safetensors) and helpers to read them as the shapes tests need.
/// </summary>
public sealed class FixtureSet : IDisposable
{
    public FixtureSet(string name)
    {
        Name = name;
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf(name, "json")));
        Json = doc.RootElement.Clone();
        Arpg = ModelConfigFile.Read(Fixtures.PathOf(name, "json")).Arpg!;
        Expected = StateDict.Open(Fixtures.PathOf(name, "expected.safetensors"));
        JsonElement gen = Json.GetProperty("generation");
        Steps = gen.GetProperty("steps").GetInt32();
        Cfg = gen.GetProperty("cfg").GetSingle();
        CfgSchedule = gen.GetProperty("cfg_schedule").GetString() == "linear" ? CfgSchedule.Linear : CfgSchedule.Constant;
        SampleSchedule = gen.GetProperty("sample_schedule").GetString() == "arccos" ? SampleSchedule.Arccos : SampleSchedule.Cosine;
    }

    public string Name { get; }
    public JsonElement Json { get; }
    public ArpgConfig Arpg { get; }
    public StateDict Expected { get; }
    public int Steps { get; }
    public float Cfg { get; }
    public CfgSchedule CfgSchedule { get; }
    public SampleSchedule SampleSchedule { get; }

    public string ArpgCheckpoint => Fixtures.PathOf(Name, "arpg.pt");

    /// <summary>The fixture's transformer loaded from its .pt checkpoint onto a device.</summary>
    public ArpgTransformer LoadTransformer(ComputeDevice device, Precision precision = Precision.Fp32)
    {
        using StateDict weights = StateDict.Open(ArpgCheckpoint);
        return ArpgTransformer.Load(device, Arpg, weights, precision);
    }

    public int[] Ints(string tensor) => Expected.ReadInt64(tensor).Select(v => checked((int)v)).ToArray();

    public float[] Floats(string tensor) => Expected.ReadFloat32(tensor);

    /// <summary>Rows of a 2-D integer tensor.</summary>
    public int[][] IntRows(string tensor)
    {
        int[] flat = Ints(tensor);
        int cols = Expected.Info(tensor).Shape[^1];
        return flat.Chunk(cols).ToArray();
    }

    public void Dispose() => Expected.Dispose();
}
