namespace ArpgIlgpu.Checkpoints;

// The values our unpickler produces. They are inert data: nothing here can run code. Python ints
// become long (or BigInteger when wider), floats double, str string, bytes byte[], tuples object?[],
// lists and sets List<object?>, None null.

/// <summary>A reference to a Python global (module.name), never imported or resolved.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
    public override string ToString() => FullName;
}

/// <summary>
/// An instance of a class the loader does not know (for example argparse.Namespace in a training
/// checkpoint's 'args'), made by NEWOBJ, INST or OBJ: kept as a placeholder, never constructed.
/// </summary>
internal sealed class PickleObject(PickleGlobal type)
{
    public PickleGlobal Type { get; } = type;
    public override string ToString() => $"<{Type} placeholder>";
}

/// <summary>
/// A Python dict or OrderedDict, in insertion order. Only string keys are looked up (or replaced on a
/// repeated SETITEM); other keys are kept in order but never hashed, so cyclic or hostile keys cost
/// nothing.
/// </summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = [];
    private Dictionary<string, int>? _stringKeys;

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    public void Set(object? key, object? value)
    {
        if (key is string name)
        {
            _stringKeys ??= new Dictionary<string, int>(StringComparer.Ordinal);
            if (_stringKeys.TryGetValue(name, out int index))
            {
                _items[index] = new(key, value);
                return;
            }
            _stringKeys[name] = _items.Count;
        }
        _items.Add(new(key, value));
    }

    public bool TryGet(string key, out object? value)
    {
        if (_stringKeys is not null && _stringKeys.TryGetValue(key, out int index))
        {
            value = _items[index].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>A storage named by a persistent id: its element type, its zip entry key and its length.</summary>
internal sealed record TorchStorage(DType DType, string Key, long ElementCount);

/// <summary>
/// A tensor as _rebuild_tensor_v2 describes it: a view of a storage starting at element
/// <see cref="Offset"/>, with the given shape and strides (in elements). Bounds are checked against
/// the storage when the state dict is indexed.
/// </summary>
internal sealed record TorchTensor(TorchStorage Storage, long Offset, int[] Shape, long[] Strides);
