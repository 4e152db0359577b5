using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// The checkpoint layouts people actually have, each made here from a fixture's weights and each
/// required to give the fixture's exact tokens (its order, argmax): the official training script's
/// {model, optimizer, steps, args} (LlamaGen's too), model + ema, DeepSpeed's "module", FSDP's bare
/// dict, "state_dict", the DataParallel and torch.compile prefixes, bfloat16 and float16 storage,
/// leftover buffers; and the flat ones again as safetensors. No fixture was made in bfloat16 and
/// rounding the float32 weights to it changes some tokens, so the bfloat16 layouts must give the
/// tokens of a float32 file holding the same rounded values (bfloat16 widens to float32 exactly).
/// </summary>
public class CheckpointZooTests
{
    /// <summary>Buffers a PyTorch module may have saved beside its weights; skipped without a word.</summary>
    private static readonly string[] Buffers = ["freqs_cis", "layers.causal_mask", "layers.self_dec.0.attn.k_cache"];

    /// <summary>An entry no loader knows: skipped, and named in <see cref="StateDict.IgnoredNames"/>.</summary>
    private const string Stranger = "aux_head.weight";

    /// <summary>How a layout stores each weight; BFloat16Values: rounded to bfloat16, stored as float32.</summary>
    private enum Storage { AsFixture, BFloat16, BFloat16Values }

    /// <summary>
    /// One layout: which fixture, how the weights are stored and named, what surrounds them, and the
    /// key --weights would name (null: found as the official loader finds it).
    /// </summary>
    private sealed record Layout(string Fixture, Storage Storage = Storage.AsFixture, string Prefix = "",
        string? Key = "model", bool Training = false, bool Extras = false, string? Ema = null, string? OpenKey = null);

    private static readonly Dictionary<string, Layout> TorchLayouts = new()
    {
        ["training: model + optimizer + steps + args (Namespace)"] = new("tiny", Training: true),
        ["model + ema: the official loader takes model"] = new("tiny", Ema: "scrambled"),
        ["model + ema: --weights ema takes the EMA copy"] = new("tiny", Ema: "fixture", OpenKey: "ema"),
        ["module (DeepSpeed)"] = new("tiny", Key: "module"),
        ["bare dict (FSDP)"] = new("tiny", Key: null),
        ["state_dict"] = new("tiny", Key: "state_dict"),
        ["module. prefix (DataParallel)"] = new("tiny", Prefix: "module."),
        ["_orig_mod. prefix (torch.compile)"] = new("tiny", Prefix: "_orig_mod."),
        ["bfloat16 storage"] = new("tiny", Storage.BFloat16),
        ["float16 storage"] = new("tiny-fp16"),
        ["extra buffers and an unknown entry"] = new("tiny", Extras: true),
    };

    private static readonly Dictionary<string, Layout> SafeTensorsLayouts = new()
    {
        ["bare"] = new("tiny", Key: null),
        ["module. prefix"] = new("tiny", Prefix: "module.", Key: null),
        ["_orig_mod. prefix"] = new("tiny", Prefix: "_orig_mod.", Key: null),
        ["bfloat16 storage"] = new("tiny", Storage.BFloat16, Key: null),
        ["float16 storage"] = new("tiny-fp16", Key: null),
        ["extra buffers and an unknown entry"] = new("tiny", Key: null, Extras: true),
    };

    public static IEnumerable<object[]> TorchLayoutNames() => TorchLayouts.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> SafeTensorsLayoutNames() => SafeTensorsLayouts.Keys.Select(k => new object[] { k });

    [Theory, MemberData(nameof(TorchLayoutNames))]
    public void TorchLayoutGivesTheFixtureTokens(string layout)
    {
        Layout l = TorchLayouts[layout];
        using var sd = StateDict.Open(TorchFile(l), "zoo.pt", l.OpenKey);
        AssertFixtureTokens(l, sd);
    }

    [Theory, MemberData(nameof(SafeTensorsLayoutNames))]
    public void SafeTensorsLayoutGivesTheFixtureTokens(string layout)
    {
        Layout l = SafeTensorsLayouts[layout];
        using var dir = new TempDirectory();
        string path = dir.File("zoo.safetensors");
        List<BuiltTensor> tensors = Tensors(l, l.Prefix, "");
        SafeTensorsWriter.Write(path, tensors.Select(t => new TensorInfo(t.Name, DTypeOf(t), t.Shape.Select(d => (int)d).ToArray())).ToList(),
            info => tensors.Single(t => t.Name == info.Name).Storage);
        using var sd = StateDict.Open(path);
        AssertFixtureTokens(l, sd);
    }

    [Fact]
    public void AKeyThatHoldsNoStateDictIsAnErrorNamingTheKeysThatDo()
    {
        var l = new Layout("tiny", Ema: "fixture");
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(TorchFile(l), "zoo.pt", "emma"));
        Assert.Contains("no state dict under the key 'emma' (state dicts are under 'model', 'ema')", e.Message);
    }

    [Fact]
    public void MissingEntriesStayAnError()
    {
        using var f = new FixtureSet("tiny");
        List<BuiltTensor> tensors = Tensors(new Layout("tiny"), "", "").Where(t => t.Name != "head.weight").ToList();
        using var sd = StateDict.Open(new TorchCheckpointBuilder { Key = "model", Tensors = tensors }.ToArray(), "zoo.pt");
        var e = Assert.Throws<InvalidInputException>(() => ArpgTransformer.Load(TestDevices.Get("cpu"), f.Arpg, sd));
        Assert.Contains("1 missing: head.weight", e.Message);
    }

    /// <summary>
    /// A training checkpoint of <paramref name="fixture"/> with the fixture's weights as its "ema" copy
    /// (under "model": other weights), the leftover buffers and <see cref="Stranger"/>: for the CLI's --weights ema.
    /// </summary>
    internal static byte[] TrainingCheckpointWithEma(string fixture) =>
        TorchFile(new Layout(fixture, Training: true, Extras: true, Ema: "fixture"));

    private static void AssertFixtureTokens(Layout l, StateDict sd)
    {
        using var f = new FixtureSet(l.Fixture);
        int[][] expected = f.IntRows("gen.tokens");
        if (l.Storage == Storage.BFloat16)
        {
            using var rounded = StateDict.Open(TorchFile(new Layout(l.Fixture, Storage.BFloat16Values)), "rounded.pt");
            expected = Tokens(f, rounded);
        }
        Assert.Equal(expected, Tokens(f, sd));
        Assert.Equal(l.Extras ? [Stranger] : [], sd.IgnoredNames);
    }

    /// <summary>The fixture's generation (its order, argmax) with the weights of <paramref name="sd"/>.</summary>
    private static int[][] Tokens(FixtureSet f, StateDict sd)
    {
        using ArpgTransformer model = ArpgTransformer.Load(TestDevices.Get("cpu"), f.Arpg, sd);
        return new ParallelDecoder(model).Generate(f.Ints("gen.classes"), new GenerationOptions
        {
            Steps = f.Steps, Cfg = f.Cfg, CfgSchedule = f.CfgSchedule, Schedule = f.SampleSchedule,
            Sampling = new SamplingSettings { Temperature = 0 }, Order = f.Ints("gen.order"),
        });
    }

    /// <summary>The .pt bytes of a layout, as torch.save lays them out.</summary>
    private static byte[] TorchFile(Layout l)
    {
        var more = new List<(string, List<BuiltTensor>)>();
        List<BuiltTensor> model = Tensors(l, l.Prefix, "");
        if (l.Ema is not null)
        {
            // the copy that must not be loaded holds other weights, so that taking it would show in the tokens
            List<BuiltTensor> ema = Tensors(l, l.Prefix, "ema.");
            more.Add(("ema", l.Ema == "fixture" ? ema : Scrambled(ema)));
            if (l.Ema == "fixture")
                model = Scrambled(model);
        }
        return new TorchCheckpointBuilder
        {
            Key = l.Key, TrainingArgs = l.Training, Tensors = model, MoreStateDicts = more,
            MoreTopLevelItems = l.Training ? Optimizer : null,
        }.ToArray();
    }

    // torch.optim.AdamW.state_dict() of a fresh optimizer: {"state": {}, "param_groups": [{"lr": ...}]}
    private static void Optimizer(PickleBuilder p) =>
        p.String("optimizer").EmptyDict().String("state").EmptyDict().SetItem()
            .String("param_groups").EmptyList().EmptyDict().String("weight_decay").Int(0).SetItem().Append().SetItem().SetItem();

    /// <summary>The fixture's weights (plus the extras) as a layout stores them; storage keys start with <paramref name="storagePrefix"/>.</summary>
    private static List<BuiltTensor> Tensors(Layout l, string prefix, string storagePrefix)
    {
        using var fixture = StateDict.Open(Fixtures.PathOf(l.Fixture, "arpg.pt"));
        var tensors = new List<BuiltTensor>();
        foreach (string name in fixture.Names)
        {
            TensorInfo info = fixture.Info(name);
            long[] shape = info.Shape.Select(d => (long)d).ToArray();
            BuiltTensor tensor = l.Storage switch
            {
                Storage.BFloat16 => new(prefix + name, "BFloat16Storage", 2, ToBFloat16(fixture.ReadFloat32(name)), shape),
                Storage.BFloat16Values => BuiltTensor.Float32(prefix + name, BFloat16Values(fixture.ReadFloat32(name)), shape),
                _ => info.DType == DType.Float16
                    ? new(prefix + name, "HalfStorage", 2, fixture.ReadRawBytes(name), shape)
                    : BuiltTensor.Float32(prefix + name, fixture.ReadFloat32(name), shape),
            };
            tensors.Add(tensor with { StorageKey = storagePrefix + tensor.Name });
        }
        if (l.Extras)
            foreach (string name in Buffers.Append(Stranger))
                tensors.Add(BuiltTensor.Float32(prefix + name, [1f, 2f, 3f, 4f], 2, 2) with { StorageKey = storagePrefix + name });
        return tensors;
    }

    private static List<BuiltTensor> Scrambled(List<BuiltTensor> tensors) =>
        tensors.Select(t => t with { Storage = t.Storage.Chunk(t.ElementSize).Reverse().SelectMany(e => e).ToArray() }).ToList();

    // Round to nearest even on the upper 16 bits: the bfloat16 a torch .to(torch.bfloat16) would store.
    private static ushort BFloat16Bits(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static byte[] ToBFloat16(float[] values) => values.SelectMany(v => BitConverter.GetBytes(BFloat16Bits(v))).ToArray();

    private static float[] BFloat16Values(float[] values) => values.Select(v => BitConverter.UInt32BitsToSingle((uint)BFloat16Bits(v) << 16)).ToArray();

    private static DType DTypeOf(BuiltTensor t) => t.StorageType switch
    {
        "BFloat16Storage" => DType.BFloat16,
        "HalfStorage" => DType.Float16,
        _ => DType.Float32,
    };
}
