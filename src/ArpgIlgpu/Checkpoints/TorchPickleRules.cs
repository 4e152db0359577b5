namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// What the globals in a torch.save pickle may mean, and nothing more. A pickle is a program: its
/// REDUCE opcode calls any Python callable it names, which is how a malicious checkpoint runs
/// os.system. Our unpickler never imports, constructs or calls anything. Instead:
/// <list type="bullet">
/// <item>a short allow-list of callables is evaluated by C# code here that builds inert values
///   (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, _codecs.encode for protocol-2 bytes);</item>
/// <item>a deny-list of dangerous names (os, subprocess, builtins.eval, torch.load, ...) is refused as
///   soon as the pickle names one, with a message saying what it tried to call;</item>
/// <item>REDUCE on anything else is refused (an unknown class's __reduce__ is arbitrary code);</item>
/// <item>other unknown classes built by NEWOBJ/INST/OBJ (argparse.Namespace in a training checkpoint's
///   'args') become inert placeholders, an error only if a tensor we return would depend on one.</item>
/// </list>
/// Errors are thrown as <see cref="FormatException"/>; the unpickler adds the file and position.
/// </summary>
internal static class TorchPickleRules
{
    /// <summary>At most this many dimensions per tensor (PyTorch allows 64).</summary>
    public const int MaxDimensions = 64;

    // Whole modules that can reach the OS, the interpreter, or another unpickler.
    private static readonly string[] DeniedPrefixes =
    [
        "os", "posix", "nt", "subprocess", "sys", "importlib", "runpy", "shutil", "socket", "pickle", "_pickle",
        "marshal", "ctypes", "multiprocessing", "pty", "code", "codeop", "webbrowser", "asyncio", "pdb", "signal",
        "platform", "timeit", "tempfile", "io", "_io", "pathlib", "glob", "types", "functools", "operator",
        "torch.serialization", "torch.hub", "torch.load", "torch.save", "torch.jit", "torch.package",
        "torch._C", "torch.ops", "numpy.load", "dill", "cloudpickle", "joblib",
        "builtins.eval", "builtins.exec", "builtins.compile", "builtins.open", "builtins.__import__",
        "builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.globals", "builtins.locals",
        "builtins.vars", "builtins.input", "builtins.breakpoint", "builtins.exit", "builtins.quit", "builtins.help",
        "builtins.memoryview", "builtins.type", "builtins.object", "builtins.super",
        "__builtin__.eval", "__builtin__.exec", "__builtin__.compile", "__builtin__.open", "__builtin__.__import__",
        "__builtin__.getattr", "__builtin__.setattr", "__builtin__.execfile", "__builtin__.file",
    ];

    private static readonly Dictionary<string, DType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = DType.Float32, ["torch.HalfStorage"] = DType.Float16,
        ["torch.BFloat16Storage"] = DType.BFloat16, ["torch.DoubleStorage"] = DType.Float64,
        ["torch.LongStorage"] = DType.Int64, ["torch.IntStorage"] = DType.Int32,
        ["torch.ShortStorage"] = DType.Int16, ["torch.CharStorage"] = DType.Int8,
        ["torch.ByteStorage"] = DType.UInt8, ["torch.BoolStorage"] = DType.Bool,
        ["torch.UntypedStorage"] = DType.UInt8,
        // torch.<dtype>, for the persistent ids that name a dtype instead of a typed storage class
        ["torch.float32"] = DType.Float32, ["torch.float"] = DType.Float32,
        ["torch.float16"] = DType.Float16, ["torch.half"] = DType.Float16,
        ["torch.bfloat16"] = DType.BFloat16,
        ["torch.float64"] = DType.Float64, ["torch.double"] = DType.Float64,
        ["torch.int64"] = DType.Int64, ["torch.long"] = DType.Int64,
        ["torch.int32"] = DType.Int32, ["torch.int"] = DType.Int32,
        ["torch.int16"] = DType.Int16, ["torch.short"] = DType.Int16,
        ["torch.int8"] = DType.Int8, ["torch.uint8"] = DType.UInt8, ["torch.bool"] = DType.Bool,
    };

    /// <summary>Refuses a global on the deny-list the moment the pickle names it.</summary>
    public static void RefuseIfDenied(PickleGlobal global)
    {
        string name = global.FullName;
        foreach (string denied in DeniedPrefixes)
            if (name.StartsWith(denied, StringComparison.Ordinal) &&
                (name.Length == denied.Length || name[denied.Length] == '.'))
                throw new FormatException($"unsafe pickle: refuses to call {name}");
    }

    /// <summary>REDUCE: evaluates an allow-listed callable on its arguments; refuses every other.</summary>
    public static object? Call(object? callable, object?[] args)
    {
        if (callable is not PickleGlobal global)
            throw new FormatException($"REDUCE on {Describe(callable)}, which is not callable");
        return global.FullName switch
        {
            "collections.OrderedDict" => NewDict(args),
            "torch._utils._rebuild_tensor_v2" => RebuildTensor(args),
            "torch._utils._rebuild_parameter" or "torch._utils._rebuild_parameter_with_state" => RebuildParameter(args),
            "_codecs.encode" => EncodeLatin1(args),
            _ => throw new FormatException($"unsafe pickle: refuses to call {global.FullName}, which is not on the allow-list"),
        };
    }

    /// <summary>NEWOBJ/INST/OBJ: a dict for the dict types, an inert placeholder for anything else.</summary>
    public static object Construct(object? type) => type switch
    {
        PickleGlobal { FullName: "collections.OrderedDict" or "builtins.dict" } => new PickleDict(),
        PickleGlobal global => new PickleObject(global),
        _ => throw new FormatException($"cannot instantiate {Describe(type)}: not a class"),
    };

    /// <summary>BINPERSID: ('storage', storage type, key, location, element count) names a zip entry.</summary>
    public static TorchStorage PersistentLoad(object? id)
    {
        if (id is not object?[] { Length: 5 } fields || fields[0] is not "storage")
            throw new FormatException($"persistent id {Describe(id)} is not ('storage', type, key, location, numel)");
        if (fields[1] is not PickleGlobal type || !StorageTypes.TryGetValue(type.FullName, out DType dtype))
            throw new FormatException($"unknown storage type {Describe(fields[1])}");
        if (fields[2] is not string key || fields[3] is not string)
            throw new FormatException("storage key and location must be strings");
        if (fields[4] is not long count || count < 0)
            throw new FormatException($"storage '{key}' has an invalid element count {Describe(fields[4])}");
        return new TorchStorage(dtype, key, count);
    }

    private static PickleDict NewDict(object?[] args)
    {
        var dict = new PickleDict();
        if (args.Length == 0)
            return dict;
        if (args.Length != 1 || args[0] is not List<object?> pairs)
            throw new FormatException("OrderedDict called with arguments other than () or (list of pairs,)");
        foreach (object? pair in pairs)
        {
            if (pair is not object?[] { Length: 2 } kv)
                throw new FormatException("OrderedDict item is not a (key, value) pair");
            dict.Set(kv[0], kv[1]);
        }
        return dict;
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    private static TorchTensor RebuildTensor(object?[] args)
    {
        if (args.Length is not (6 or 7))
            throw new FormatException($"_rebuild_tensor_v2 takes 6 or 7 arguments, got {args.Length}");
        if (args[0] is not TorchStorage storage)
            throw new FormatException(args[0] is PickleObject placeholder
                ? $"a tensor is built on {placeholder.Type}, which the loader does not construct"
                : $"a tensor's storage is {Describe(args[0])}, not a storage");
        if (args[1] is not long offset || offset < 0)
            throw new FormatException($"invalid storage offset {Describe(args[1])}");
        long[] size = LongTuple(args[2], "size"), stride = LongTuple(args[3], "stride");
        if (size.Length != stride.Length)
            throw new FormatException($"tensor size has {size.Length} dimensions but stride has {stride.Length}");

        var shape = new int[size.Length];
        long lastElement = offset; // the largest storage index the view touches
        bool empty = false;
        for (int d = 0; d < size.Length; d++)
        {
            if (size[d] > int.MaxValue)
                throw new FormatException($"tensor dimension {size[d]} is too large");
            shape[d] = (int)size[d];
            if (shape[d] == 0)
                empty = true;
            else if (stride[d] > (long.MaxValue - lastElement) / Math.Max(1, shape[d] - 1))
                throw new FormatException("tensor size and stride overflow");
            else
                lastElement += (shape[d] - 1) * stride[d];
        }
        long elements = 1;
        foreach (int dim in shape)
            if (dim != 0 && elements > long.MaxValue / dim)
                throw new FormatException($"tensor shape {TensorInfo.FormatShape(shape)} is too large");
            else
                elements *= dim;
        if (!empty && lastElement >= storage.ElementCount)
            throw new FormatException($"tensor of shape {TensorInfo.FormatShape(shape)} at offset {offset} " +
                                      $"needs {lastElement + 1} elements but storage '{storage.Key}' holds {storage.ElementCount}");
        return new TorchTensor(storage, offset, shape, stride);
    }

    // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): a Parameter is its tensor.
    private static TorchTensor RebuildParameter(object?[] args)
    {
        if (args.Length is < 3 or > 4 || args[0] is not TorchTensor tensor)
            throw new FormatException("_rebuild_parameter expects (tensor, requires_grad, backward_hooks[, state])");
        return tensor;
    }

    // Protocol 2 pickles bytes as _codecs.encode(text, 'latin1'): a pure function, evaluated here.
    private static byte[] EncodeLatin1(object?[] args)
    {
        if (args is not [string text, "latin1" or "latin-1"])
            throw new FormatException("_codecs.encode is only evaluated as encode(str, 'latin1')");
        foreach (char c in text)
            if (c > 0xFF)
                throw new FormatException("_codecs.encode: text is not latin-1");
        return System.Text.Encoding.Latin1.GetBytes(text);
    }

    private static long[] LongTuple(object? value, string what)
    {
        if (value is not object?[] items)
            throw new FormatException($"tensor {what} is {Describe(value)}, not a tuple");
        if (items.Length > MaxDimensions)
            throw new FormatException($"tensor {what} has {items.Length} dimensions (at most {MaxDimensions})");
        var result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
            result[i] = items[i] is long v && v >= 0
                ? v
                : throw new FormatException($"tensor {what} holds {Describe(items[i])}, not a non-negative integer");
        return result;
    }

    /// <summary>A short description of a pickle value for messages (never its full contents).</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => s.Length <= 40 && !s.Any(char.IsControl) ? $"'{s}'" : $"a string of {s.Length} characters",
        long or bool or double => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        object?[] t => $"a tuple of {t.Length}",
        List<object?> l => $"a list of {l.Count}",
        PickleDict => "a dict",
        byte[] b => $"{b.Length} bytes",
        System.Numerics.BigInteger => "a large integer",
        _ => value.ToString() ?? value.GetType().Name,
    };
}
