namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// The named tensors of a checkpoint: a PyTorch <c>.pt</c> written by torch.save (zip format,
/// PyTorch 1.6 and later) or a <c>.safetensors</c> file, told apart by their first bytes, not by
/// the extension. Opening reads only the index (names, dtypes, shapes, where the bytes are); each
/// Read* call reads and decodes one tensor from the file. Loading never runs code from the file
/// (see SECURITY.md), and anything malformed is reported as a <see cref="CheckpointFormatException"/>
/// naming the file.
/// </summary>
public sealed class StateDict : IDisposable
{
    // Wrappers that prefix every name: DataParallel/DistributedDataParallel ("module.") and torch.compile ("_orig_mod.").
    private static readonly string[] WrapperPrefixes = ["module.", "_orig_mod."];

    private readonly ByteSource _source;
    private readonly Dictionary<string, StoredTensor> _tensors;

    private StateDict(ByteSource source, string? key)
    {
        _source = source;
        try
        {
            CheckpointIndex index = ReadIndex(source, key);
            FoundAt = index.FoundAt;
            Format = index.Format;
            Metadata = index.Metadata;
            var names = new List<string>(index.Tensors.Count);
            _tensors = new Dictionary<string, StoredTensor>(index.Tensors.Count, StringComparer.Ordinal);
            foreach (StoredTensor stored in index.Tensors)
            {
                string name = StripWrapperPrefixes(stored.Info.Name);
                if (!_tensors.TryAdd(name, stored with { Info = stored.Info with { Name = name } }))
                    throw source.Error($"two tensors are named '{name}' (after removing the prefixes {string.Join(" and ", WrapperPrefixes)})");
                names.Add(name);
            }
            Names = names;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a checkpoint file (.pt or .safetensors; the content decides). In a .pt file the state
    /// dict is the one under <paramref name="key"/> (e.g. "ema" for a training checkpoint's EMA
    /// copy), or, when null, found as the official loader finds it (see <see cref="TorchCheckpoint.StateDictKeys"/>).
    /// </summary>
    public static StateDict Open(string path, string? key = null) => new(ByteSource.Open(path), key);

    /// <summary>
    /// Opens a checkpoint held in memory; <paramref name="displayName"/> names it in messages. The
    /// bytes must not change while the state dict is in use.
    /// </summary>
    public static StateDict Open(ReadOnlyMemory<byte> bytes, string displayName, string? key = null) =>
        new(ByteSource.FromMemory(bytes, displayName), key);

    /// <summary>The file as it was named when opened.</summary>
    public string Path => _source.DisplayName;

    /// <summary>The tensor names in file order, without the "module." and "_orig_mod." prefixes.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The file format, for messages: "torch.save (zip)" or "safetensors".</summary>
    public string Format { get; }

    /// <summary>Where in the file the state dict was found: "key 'model'", "key 'state_dict'", "top level".</summary>
    public string FoundAt { get; }

    /// <summary>The string metadata of a safetensors file (empty for .pt files).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The entries the last <see cref="ShapeCheck.Verify"/> found in the file that the model does not
    /// use and that are not <see cref="KnownBuffers"/>: skipped, for the caller to name in a warning.
    /// </summary>
    public IReadOnlyList<string> IgnoredNames { get; internal set; } = [];

    /// <summary>True when a tensor of that name exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The dtype and shape of a tensor; an error naming the tensor and the file when it is absent.</summary>
    public TensorInfo Info(string name) => Find(name).Info;

    /// <summary>A floating-point tensor as float32, row-major (float16 and bfloat16 convert exactly).</summary>
    public float[] ReadFloat32(string name) => Find(name).ToFloat32(_source);

    /// <summary>
    /// Decodes a floating-point tensor as <see cref="ReadFloat32(string)"/> into
    /// <paramref name="destination"/>, which must hold exactly its elements: loading streams every
    /// tensor through one buffer this way, allocating nothing per tensor.
    /// </summary>
    public void ReadFloat32(string name, Span<float> destination) => Find(name).DecodeFloat32(_source, destination);

    /// <summary>An integer or bool tensor as int64, row-major.</summary>
    public long[] ReadInt64(string name) => Find(name).ToInt64(_source);

    /// <summary>A uint8 or bool tensor's bytes, row-major.</summary>
    public byte[] ReadUInt8(string name) => Find(name).ToUInt8(_source);

    /// <summary>
    /// A tensor's elements in its stored dtype, row-major and little-endian: the bytes a safetensors
    /// file holds for it.
    /// </summary>
    public byte[] ReadRawBytes(string name) => Find(name).LittleEndianBytes(_source);

    /// <summary>Closes the file; tensors already read stay valid.</summary>
    public void Dispose() => _source.Dispose();

    private StoredTensor Find(string name) =>
        _tensors.TryGetValue(name, out StoredTensor? stored)
            ? stored
            : throw new InvalidInputException($"{Path}: no tensor named '{name}' (the file has {_tensors.Count} tensors)");

    private static CheckpointIndex ReadIndex(ByteSource source, string? key)
    {
        ReadOnlySpan<byte> start = source.Read(0, Math.Min(source.Length, 9), "file header");
        if (TorchCheckpoint.Recognizes(start))
            return TorchCheckpoint.Read(source, key);
        if (SafeTensorsReader.Recognizes(start))
            return key is null
                ? SafeTensorsReader.Read(source)
                : throw source.Error($"a safetensors file holds one state dict, not one under the key '{key}'; convert the .pt with that copy instead");
        if (start.Length > 0 && start[0] == 0x80)
            throw source.Error("a legacy (PyTorch < 1.6) torch.save file: re-save it with a newer PyTorch, or convert it to safetensors");
        throw source.Error(source.Length == 0 ? "the file is empty" : "neither a PyTorch (zip) checkpoint nor a safetensors file");
    }

    // Finds where the wrapper prefixes end first and cuts once, so a hostile name made of thousands of
    // prefixes costs linear time.
    private static string StripWrapperPrefixes(string name)
    {
        int start = 0;
        for (bool stripped = true; stripped;)
        {
            stripped = false;
            foreach (string prefix in WrapperPrefixes)
                if (name.Length - start > prefix.Length && name.AsSpan(start).StartsWith(prefix, StringComparison.Ordinal))
                {
                    start += prefix.Length;
                    stripped = true;
                }
        }
        return name[start..];
    }
}
