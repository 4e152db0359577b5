using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// The unpickler's allow-list: pickles that reach a dangerous callable, by any opcode that names a
/// global, are refused with the callable's name, and the file their payload would have created does
/// not exist afterwards. Unknown classes are inert placeholders: harmless where no tensor needs them,
/// an error where one does.
/// </summary>
public class PickleAllowListTests
{
    private static readonly float[] Six = [1f, 2f, 3f, 4f, 5f, 6f];

    public static IEnumerable<object[]> DangerousCalls() => new[]
    {
        ("os", "system"), ("posix", "system"), ("nt", "system"), ("subprocess", "Popen"), ("subprocess", "check_output"),
        ("builtins", "exec"), ("builtins", "eval"), ("builtins", "__import__"), ("builtins", "getattr"), ("builtins", "open"),
        ("torch", "load"), ("torch.serialization", "load"), ("pickle", "loads"), ("_pickle", "loads"), ("runpy", "run_path"),
        ("importlib", "import_module"), ("shutil", "rmtree"), ("socket", "socket"), ("sys", "exit"),
    }.Select(c => new object[] { c.Item1, c.Item2 });

    [Theory, MemberData(nameof(DangerousCalls))]
    public void DangerousGlobalIsRefusedWhereverItAppears(string module, string name)
    {
        string dir = Directory.CreateTempSubdirectory("arpg-pickle-").FullName;
        try
        {
            string marker = Path.Combine(dir, "pwned");
            string payload = $"touch {marker}";
            var placements = new Dictionary<string, Action<PickleBuilder>>
            {
                ["GLOBAL + REDUCE"] = p => p.Global(module, name).String(payload).Tuple1().Reduce(),
                ["STACK_GLOBAL + REDUCE"] = p => p.String(module).String(name).StackGlobal().String(payload).Tuple1().Reduce(),
                ["GLOBAL + NEWOBJ"] = p => p.Global(module, name).String(payload).Tuple1().NewObj(),
                ["INST"] = p => p.Mark().String(payload).Raw([(byte)'i', .. System.Text.Encoding.UTF8.GetBytes($"{module}\n{name}\n")]),
            };
            foreach (var (how, emit) in placements)
            {
                byte[] pt = new TorchCheckpointBuilder
                {
                    Tensors = [BuiltTensor.Float32("w", Six, 6)],
                    MoreTopLevelItems = p => { p.String("payload"); emit(p); p.SetItem(); },
                }.ToArray();
                var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(pt, "evil.pt"));
                Assert.Contains($"unsafe pickle: refuses to call {module}.{name}", e.Message);
                Assert.False(File.Exists(marker), $"{how}: the payload ran");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ReduceOfAnUnknownClassIsRefused()
    {
        // what pickle writes for an object whose __reduce__ returns (mymodule.Exploit, (...))
        byte[] pt = new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Six, 6)],
            MoreTopLevelItems = p => p.String("x").Global("mymodule", "Exploit").String("rm -rf /").Tuple1().Reduce().SetItem(),
        }.ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(pt, "evil.pt"));
        Assert.Contains("refuses to call mymodule.Exploit, which is not on the allow-list", e.Message);
    }

    [Fact]
    public void UnknownClassWithoutReduceIsAnInertPlaceholder()
    {
        // NEWOBJ + BUILD of an unknown class beside the weights (an EMA helper object, say) does not stop loading
        byte[] pt = new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Six, 6)],
            MoreTopLevelItems = p => p.String("ema").Global("mymodule", "Ema").EmptyTuple().NewObj()
                .EmptyDict().String("decay").Int(9999).SetItem().Build().SetItem(),
        }.ToArray();
        using var sd = StateDict.Open(pt, "ema.pt");
        Assert.Equal(Six, sd.ReadFloat32("w"));
    }

    [Fact]
    public void TensorBuiltOnAPlaceholderIsRefused()
    {
        // _rebuild_tensor_v2 whose storage is an unknown object instead of a persistent-id storage
        var p = new PickleBuilder().Proto(2).EmptyDict().String("w").Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Global("mymodule", "FakeStorage").EmptyTuple().NewObj();
        p.Int(0).IntTuple([6]).IntTuple([1]).Bool(false).Global("collections", "OrderedDict").EmptyTuple().Reduce();
        p.Tuple().Reduce().SetItem().Stop();
        byte[] pt = new ZipBuilder().Add("archive/data.pkl", p.ToArray()).ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(pt, "fake.pt"));
        Assert.Contains("built on mymodule.FakeStorage, which the loader does not construct", e.Message);
    }

    [Fact]
    public void UnknownStorageTypeIsRefused()
    {
        byte[] pt = new TorchCheckpointBuilder
        {
            Tensors = [BuiltTensor.Float32("w", Six, 6) with { StorageType = "ComplexFloatStorage" }],
        }.ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDict.Open(pt, "complex.pt"));
        Assert.Contains("unknown storage type torch.ComplexFloatStorage", e.Message);
    }

    [Fact]
    public void DTypePersistentIdFormIsRead()
    {
        // newer torch versions can name a dtype (torch.float16) instead of a typed storage class
        byte[] halves = Six.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();
        byte[] pt = new TorchCheckpointBuilder { Tensors = [new("h", "float16", 2, halves, [2, 3])] }.ToArray();
        using var sd = StateDict.Open(pt, "dtype-id.pt");
        Assert.Equal(DType.Float16, sd.Info("h").DType);
        Assert.Equal(Six, sd.ReadFloat32("h"));
    }

    [Fact]
    public void ParameterWrapperIsUnwrapped()
    {
        // nn.Parameter pickles as _rebuild_parameter(tensor, requires_grad, backward_hooks)
        var tensor = new TorchCheckpointBuilder { Key = null, Tensors = [BuiltTensor.Float32("w", Six, 6)] };
        byte[] plain = tensor.Pickle();
        // wrap: replace "'w' <tensor> SETITEMS" by "'w' _rebuild_parameter((<tensor>, True, OrderedDict())) SETITEMS"
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark().String("w").Global("torch._utils", "_rebuild_parameter");
        byte[] body = plain[(FindTensorStart(plain))..^2]; // the _rebuild_tensor_v2 call, without SETITEMS and STOP
        p.Raw(body).Bool(true).Global("collections", "OrderedDict").EmptyTuple().Reduce();
        p.Raw([0x87]).Reduce().SetItems().Stop(); // TUPLE3 of (tensor, True, hooks)
        byte[] pt = new ZipBuilder().Add("archive/data.pkl", p.ToArray()).Add("archive/data/w", tensor.Tensors[0].Storage).ToArray();
        using var sd = StateDict.Open(pt, "param.pt");
        Assert.Equal(Six, sd.ReadFloat32("w"));
    }

    // The offset of the GLOBAL opcode that starts the first _rebuild_tensor_v2 call.
    private static int FindTensorStart(byte[] pickle)
    {
        byte[] needle = "ctorch._utils\n_rebuild_tensor_v2"u8.ToArray();
        return pickle.AsSpan().IndexOf(needle);
    }
}
