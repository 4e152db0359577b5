using ArpgIlgpu.Checkpoints;
using System.Text;

namespace ArpgIlgpu.Tests;

/// <summary>
/// One tensor for <see cref="TorchCheckpointBuilder"/>: a view (offset, shape, strides in elements)
/// of a storage given as raw bytes of a torch storage class ("FloatStorage", "HalfStorage", ...).
/// Tensors naming the same <see cref="StorageKey"/> share one storage entry. The persistent id states
/// the storage's element count as Storage.Length / ElementSize unless <see cref="ClaimedElements"/> lies.
/// </summary>
public sealed record BuiltTensor(string Name, string StorageType, int ElementSize, byte[] Storage, long[] Shape,
    long[]? Strides = null, long Offset = 0, string? StorageKey = null, long? ClaimedElements = null)
{
    /// <summary>A dense float32 tensor.</summary>
    public static BuiltTensor Float32(string name, float[] values, params long[] shape) =>
        new(name, "FloatStorage", 4, values.SelectMany(BitConverter.GetBytes).ToArray(), shape);
}

/// <summary>
/// Writes checkpoints laid out as torch.save writes them: a zip with ROOT/data.pkl (protocol 2, the
/// opcodes torch emits: OrderedDict via REDUCE, _rebuild_tensor_v2 with BINPERSID storages),
/// ROOT/data/KEY per storage, ROOT/version and optionally ROOT/byteorder. Tests use it for the
/// checkpoint variants found in the wild and as the base of hostile inputs.
/// </summary>
public sealed class TorchCheckpointBuilder
{
    /// <summary>The key of the top-level dict that holds the state dict; null puts the tensors at the top level.</summary>
    public string? Key { get; init; } = "state_dict";
    /// <summary>The archive's folder.</summary>
    public string Root { get; init; } = "archive";
    /// <summary>Contents of ROOT/byteorder; null writes no such entry (as older torch versions).</summary>
    public string? ByteOrder { get; init; }
    /// <summary>Add 'args': an argparse.Namespace built with NEWOBJ + BUILD, as training scripts save.</summary>
    public bool TrainingArgs { get; init; }
    /// <summary>Zip64 extra fields on every entry.</summary>
    public bool Zip64ExtraFields { get; init; }
    /// <summary>Appends more key/value pairs (each ending in SETITEM) to the top-level dict.</summary>
    public Action<PickleBuilder>? MoreTopLevelItems { get; init; }
    /// <summary>The tensors, in state-dict order.</summary>
    public List<BuiltTensor> Tensors { get; init; } = [];
    /// <summary>
    /// Further state dicts under their own top-level keys (a training checkpoint's "ema" copy), written
    /// after <see cref="Tensors"/>; give their tensors a <see cref="BuiltTensor.StorageKey"/> of their own.
    /// </summary>
    public List<(string Key, List<BuiltTensor> Tensors)> MoreStateDicts { get; init; } = [];

    private IEnumerable<BuiltTensor> AllTensors => Tensors.Concat(MoreStateDicts.SelectMany(d => d.Tensors));

    /// <summary>data.pkl.</summary>
    public byte[] Pickle()
    {
        var p = new PickleBuilder().Proto(2).EmptyDict();
        if (Key is not null)
        {
            p.String(Key);
            p.Global("collections", "OrderedDict").EmptyTuple().Reduce();
        }
        WriteTensors(p, Tensors);
        if (Key is not null)
            p.SetItem();
        foreach ((string key, List<BuiltTensor> tensors) in MoreStateDicts)
        {
            p.String(key).Global("collections", "OrderedDict").EmptyTuple().Reduce();
            WriteTensors(p, tensors);
            p.SetItem();
        }
        if (TrainingArgs)
        {
            p.String("args").Global("argparse", "Namespace").EmptyTuple().NewObj();
            p.EmptyDict().String("lr").Int(3).SetItem().String("model").String("ARPG-L").SetItem().Build().SetItem();
            p.String("steps").Int(1234).SetItem();
        }
        MoreTopLevelItems?.Invoke(p);
        return p.Stop().ToArray();
    }

    // MARK name tensor name tensor ... SETITEMS into the dict on the stack.
    private static void WriteTensors(PickleBuilder p, List<BuiltTensor> tensors)
    {
        p.Mark();
        foreach (BuiltTensor t in tensors)
        {
            p.String(t.Name).Global("torch._utils", "_rebuild_tensor_v2").Mark();
            p.Mark().String("storage").Global("torch", t.StorageType).String(t.StorageKey ?? t.Name).String("cpu")
                .Int(t.ClaimedElements ?? t.Storage.Length / t.ElementSize).Tuple().BinPersId();
            p.Int(t.Offset).IntTuple(t.Shape).IntTuple(t.Strides ?? StoredTensor.RowMajorStrides(t.Shape.Select(d => (int)d).ToArray())).Bool(false);
            p.Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
        }
        p.SetItems();
    }

    /// <summary>The .pt file.</summary>
    public byte[] ToArray()
    {
        var zip = new ZipBuilder { Zip64ExtraFields = Zip64ExtraFields };
        zip.Add($"{Root}/data.pkl", Pickle());
        if (ByteOrder is not null)
            zip.Add($"{Root}/byteorder", Encoding.ASCII.GetBytes(ByteOrder));
        var written = new HashSet<string>();
        foreach (BuiltTensor t in AllTensors)
            if (written.Add(t.StorageKey ?? t.Name))
                zip.Add($"{Root}/data/{t.StorageKey ?? t.Name}", t.Storage);
        zip.Add($"{Root}/version", "3\n"u8.ToArray());
        return zip.ToArray();
    }
}
