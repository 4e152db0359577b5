using System.Text;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Reads the index of a checkpoint written by torch.save (PyTorch 1.6 and later): a zip archive
/// holding <c>ROOT/data.pkl</c> (the pickled object), one entry <c>ROOT/data/KEY</c> per storage,
/// and optionally <c>ROOT/byteorder</c> ("little" or "big"; absent means little). The pickle is run
/// by our own <see cref="Unpickler"/>, which never executes code; tensors come out as views
/// (storage key, offset, shape, strides) and no storage is read until a tensor is asked for, so
/// optimizer state or EMA copies beside the weights cost nothing.
/// </summary>
internal static class TorchCheckpoint
{
    /// <summary>
    /// Where a state dict is looked for, in this order, before the top level itself: the order of the
    /// official sample_c2i_ddp.py ("model": DDP training checkpoints, "module": DeepSpeed), so that
    /// a file holding several copies (a training checkpoint's "model" and "ema") loads the same one.
    /// </summary>
    public static readonly string[] StateDictKeys = ["model", "module", "state_dict"];

    /// <summary>A pickle larger than this is refused (a 5 GB checkpoint's is about 100 KB).</summary>
    public const long MaxPickleBytes = 256L << 20;

    /// <summary>True when the file starts like a zip archive.</summary>
    public static bool Recognizes(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && start[0] == 'P' && start[1] == 'K' && ((start[2] == 3 && start[3] == 4) || (start[2] == 5 && start[3] == 6));

    /// <summary>
    /// Indexes the state dict of the torch.save archive in <paramref name="source"/>: the one under
    /// <paramref name="key"/>, or when null the first of <see cref="StateDictKeys"/> that holds tensors.
    /// </summary>
    public static CheckpointIndex Read(ByteSource source, string? key)
    {
        ZipIndex zip = ZipIndex.Read(source);
        string root = FindRoot(source, zip);
        bool bigEndian = ReadByteOrder(source, zip, root);

        zip.TryFind($"{root}/data.pkl", out ZipEntry pickleEntry);
        if (pickleEntry.Size > MaxPickleBytes)
            throw source.Error($"{pickleEntry.Name} is {pickleEntry.Size} bytes (at most {MaxPickleBytes} are read)");
        byte[] pickle = zip.Data(pickleEntry).ToArray();
        object? top = new Unpickler(pickle, source.DisplayName, pickleEntry.Name).Load();

        var (stateDict, foundAt) = key is null ? FindStateDict(source, top) : StateDictUnder(source, top, key);
        var tensors = new List<StoredTensor>();
        foreach (var (entry, value) in stateDict.Items)
            if (entry is string name && value is TorchTensor tensor)
                tensors.Add(Locate(source, zip, root, name, tensor, bigEndian));
        return new CheckpointIndex(tensors, "torch.save (zip)", foundAt, new Dictionary<string, string>());
    }

    // The archive's single top-level folder (torch names it after the file) holds data.pkl.
    private static string FindRoot(ByteSource source, ZipIndex zip)
    {
        string? root = null;
        foreach (ZipEntry entry in zip.Entries)
        {
            int slash = entry.Name.IndexOf('/');
            if (slash > 0 && entry.Name[(slash + 1)..] == "data.pkl")
                root = root is null ? entry.Name[..slash]
                    : throw source.Error($"zip archive holds more than one data.pkl ('{root}' and '{entry.Name[..slash]}')");
        }
        return root ?? throw source.Error("zip archive holds no ROOT/data.pkl: not a torch.save checkpoint");
    }

    private static bool ReadByteOrder(ByteSource source, ZipIndex zip, string root)
    {
        if (!zip.TryFind($"{root}/byteorder", out ZipEntry entry))
            return false;
        if (entry.Size > 16)
            throw source.Error($"{entry.Name} is {entry.Size} bytes; expected \"little\" or \"big\"");
        string order = Encoding.ASCII.GetString(zip.Data(entry)).Trim();
        return order switch
        {
            "little" => false,
            "big" => true,
            _ => throw source.Error($"{entry.Name} says \"{order}\"; expected \"little\" or \"big\""),
        };
    }

    private static (PickleDict StateDict, string FoundAt) FindStateDict(ByteSource source, object? top)
    {
        if (top is PickleDict dict)
        {
            foreach (string key in StateDictKeys)
                if (dict.TryGet(key, out object? inner) && inner is PickleDict candidate && HoldsTensors(candidate))
                    return (candidate, $"key '{key}'");
            if (HoldsTensors(dict))
                return (dict, "top level");
        }
        throw source.Error("no state dict: expected a dict of tensors at the top level or under " +
                           string.Join(", ", StateDictKeys.Select(k => $"'{k}'")));
    }

    private static (PickleDict StateDict, string FoundAt) StateDictUnder(ByteSource source, object? top, string key)
    {
        if (top is PickleDict dict && dict.TryGet(key, out object? inner) && inner is PickleDict candidate && HoldsTensors(candidate))
            return (candidate, $"key '{key}'");
        string[] keys = top is PickleDict d
            ? d.Items.Where(i => i.Key is string && i.Value is PickleDict p && HoldsTensors(p)).Select(i => $"'{i.Key}'").ToArray()
            : [];
        throw source.Error($"no state dict under the key '{key}' (" +
                           (keys.Length == 0 ? "the file has no keyed state dicts)" : $"state dicts are under {string.Join(", ", keys)})"));
    }

    private static bool HoldsTensors(PickleDict dict) => dict.Items.Any(item => item.Value is TorchTensor);

    /// <summary>"N bytes", or that the byte count overflows (an element count near 2^63 from a hostile pickle).</summary>
    private static string Bytes(long elements, int size) =>
        elements <= long.MaxValue / size ? $"{elements * size} bytes" : "a byte length that overflows";

    // Checks that the storage entry exists and holds every element the view reaches.
    private static StoredTensor Locate(ByteSource source, ZipIndex zip, string root, string name, TorchTensor tensor, bool bigEndian)
    {
        TorchStorage storage = tensor.Storage;
        string entryName = $"{root}/data/{storage.Key}";
        if (!zip.TryFind(entryName, out ZipEntry entry))
            throw source.Error($"tensor '{name}': its storage '{entryName}' is missing from the archive");
        zip.RequireStored(entry);
        int size = storage.DType.SizeOf();
        if (storage.ElementCount > entry.Size / size)
            throw source.Error($"tensor '{name}': storage '{entryName}' should hold {storage.ElementCount} {storage.DType.TorchName()} " +
                               $"elements ({Bytes(storage.ElementCount, size)}) but has {entry.Size} bytes");
        var info = new TensorInfo(name, storage.DType, tensor.Shape);
        return new StoredTensor(info, entry.DataOffset + tensor.Offset * size, tensor.Strides, bigEndian);
    }
}
