using System.Buffers.Binary;
using System.Text;

namespace ArpgIlgpu.Tests;

/// <summary>
/// Emits pickle opcodes one by one, for building the pickles torch.save writes (and hostile ones)
/// in tests. Each method appends one opcode with its operand; the names are the opcode names of
/// Python's pickletools.
/// </summary>
public sealed class PickleBuilder
{
    private readonly MemoryStream _bytes = new();

    /// <summary>PROTO n.</summary>
    public PickleBuilder Proto(int protocol = 2) => Op(0x80, (byte)protocol);
    /// <summary>MARK.</summary>
    public PickleBuilder Mark() => Op((byte)'(');
    /// <summary>STOP.</summary>
    public PickleBuilder Stop() => Op((byte)'.');
    /// <summary>NONE.</summary>
    public PickleBuilder None() => Op((byte)'N');
    /// <summary>NEWTRUE / NEWFALSE.</summary>
    public PickleBuilder Bool(bool value) => Op(value ? (byte)0x88 : (byte)0x89);
    /// <summary>EMPTY_DICT.</summary>
    public PickleBuilder EmptyDict() => Op((byte)'}');
    /// <summary>EMPTY_LIST.</summary>
    public PickleBuilder EmptyList() => Op((byte)']');
    /// <summary>EMPTY_TUPLE.</summary>
    public PickleBuilder EmptyTuple() => Op((byte)')');
    /// <summary>TUPLE (from the last mark).</summary>
    public PickleBuilder Tuple() => Op((byte)'t');
    /// <summary>TUPLE1.</summary>
    public PickleBuilder Tuple1() => Op(0x85);
    /// <summary>TUPLE2.</summary>
    public PickleBuilder Tuple2() => Op(0x86);
    /// <summary>SETITEM.</summary>
    public PickleBuilder SetItem() => Op((byte)'s');
    /// <summary>SETITEMS (from the last mark).</summary>
    public PickleBuilder SetItems() => Op((byte)'u');
    /// <summary>APPEND.</summary>
    public PickleBuilder Append() => Op((byte)'a');
    /// <summary>REDUCE.</summary>
    public PickleBuilder Reduce() => Op((byte)'R');
    /// <summary>BUILD.</summary>
    public PickleBuilder Build() => Op((byte)'b');
    /// <summary>NEWOBJ.</summary>
    public PickleBuilder NewObj() => Op(0x81);
    /// <summary>BINPERSID.</summary>
    public PickleBuilder BinPersId() => Op((byte)'Q');
    /// <summary>STACK_GLOBAL.</summary>
    public PickleBuilder StackGlobal() => Op(0x93);
    /// <summary>BINPUT i.</summary>
    public PickleBuilder Put(int index) => Op((byte)'q', (byte)index);
    /// <summary>BINGET i.</summary>
    public PickleBuilder Get(int index) => Op((byte)'h', (byte)index);

    /// <summary>GLOBAL 'module name'.</summary>
    public PickleBuilder Global(string module, string name) => Raw([(byte)'c', .. Encoding.UTF8.GetBytes($"{module}\n{name}\n")]);

    /// <summary>BINUNICODE.</summary>
    public PickleBuilder String(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Raw([(byte)'X', .. length, .. utf8]);
    }

    /// <summary>BININT1, BININT2, BININT or LONG1, whichever holds the value.</summary>
    public PickleBuilder Int(long value)
    {
        if (value is >= 0 and < 256)
            return Op((byte)'K', (byte)value);
        if (value is >= 0 and < 65536)
            return Raw([(byte)'M', (byte)value, (byte)(value >> 8)]);
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        if (value is >= int.MinValue and <= int.MaxValue)
            return Raw([(byte)'J', .. bytes[..4]]);
        return Raw([0x8a, 8, .. bytes]);
    }

    /// <summary>A tuple of ints: MARK, the ints, TUPLE.</summary>
    public PickleBuilder IntTuple(IEnumerable<long> values)
    {
        Mark();
        foreach (long v in values)
            Int(v);
        return Tuple();
    }

    /// <summary>Any opcode and operand bytes.</summary>
    public PickleBuilder Op(byte opcode, params byte[] operand) => Raw([opcode, .. operand]);

    /// <summary>Raw bytes.</summary>
    public PickleBuilder Raw(byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    /// <summary>The pickle so far.</summary>
    public byte[] ToArray() => _bytes.ToArray();
}
