using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// A pickle virtual machine for protocols 0-5, restricted to data: it runs the opcodes a state dict
/// uses and builds inert values (PickleValues.cs); the meaning of globals, REDUCE and
/// persistent ids is delegated to <see cref="TorchPickleRules"/>, which never runs code.
///
/// Why it is safe to run on hostile bytes: the machine is a loop over the input with no recursion;
/// each opcode reads a length-checked operand and pushes at most one value, so the stack, the mark
/// stack and the memo grow by at most one entry per input byte, and each is capped besides (far
/// above what a real checkpoint needs). The one way to do more work than the input is long is to
/// call an allow-listed function again and again on a memoized argument (OrderedDict on a long list
/// of pairs, say), so every call is charged for the size of its arguments against a budget
/// proportional to the pickle's length. Dicts only hash string keys, so cyclic structures (a list
/// appended to itself) cost nothing.
/// </summary>
internal sealed class Unpickler
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _pickle;
    private readonly string _file;
    private readonly string _part;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _at;
    private long _callBudget;

    // A state dict's pickle nests a few levels deep and memoizes about ten values per tensor.
    private const int MaxStack = 1 << 20, MaxMarks = 1 << 16, MaxMemo = 1 << 22;

    /// <summary>Prepares to unpickle <paramref name="pickle"/>, named <paramref name="part"/> inside <paramref name="file"/>.</summary>
    public Unpickler(byte[] pickle, string file, string part)
    {
        _pickle = pickle;
        _file = file;
        _part = part;
        // torch pickles charge ~14 units per tensor record of ~100 bytes: a quarter of the length leaves
        // ample room, and bounds a memo bomb's allocation to a few bytes per pickle byte
        _callBudget = pickle.Length / 4 + 4096;
    }

    /// <summary>Runs the pickle to its STOP opcode and returns the value it built.</summary>
    public object? Load()
    {
        int opcodeAt = 0;
        try
        {
            while (true)
            {
                opcodeAt = _at;
                byte opcode = ReadByte();
                if (opcode == '.')
                    return Pop();
                Execute(opcode);
            }
        }
        catch (FormatException e)
        {
            throw new CheckpointFormatException(_file, $"{e.Message} ({_part}, byte {opcodeAt})");
        }
    }

    private void Execute(byte opcode)
    {
        switch (opcode)
        {
            // framing and structure
            case 0x80: ReadByte(); break;                                // PROTO n
            case 0x95: Take(ReadLength(8)); break;                       // FRAME: a hint for buffered readers
            case (byte)'(': Mark(); break;                               // MARK
            case (byte)'0': Pop(); break;                                // POP
            case (byte)'1': PopMark(); break;                            // POP_MARK
            case (byte)'2': Push(Peek()); break;                         // DUP

            // constants and numbers
            case (byte)'N': Push(null); break;                           // NONE
            case 0x88: Push(true); break;                                // NEWTRUE
            case 0x89: Push(false); break;                               // NEWFALSE
            case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;   // BININT
            case (byte)'K': Push((long)ReadByte()); break;                                         // BININT1
            case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;  // BININT2
            case 0x8a: Push(ReadLong(ReadLength(1))); break;             // LONG1
            case 0x8b: Push(ReadLong(ReadLength(4))); break;             // LONG4
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;           // BINFLOAT
            case (byte)'I': Push(ParseIntLine()); break;                 // INT (text)
            case (byte)'L': Push(ParseLongLine()); break;                // LONG (text)
            case (byte)'F': Push(ParseFloatLine()); break;               // FLOAT (text)

            // strings and bytes
            case (byte)'X': Push(Utf8(Take(ReadLength(4)))); break;      // BINUNICODE
            case 0x8c: Push(Utf8(Take(ReadLength(1)))); break;           // SHORT_BINUNICODE
            case 0x8d: Push(Utf8(Take(ReadLength(8)))); break;           // BINUNICODE8
            case (byte)'U': Push(Encoding.Latin1.GetString(Take(ReadLength(1)))); break;   // SHORT_BINSTRING
            case (byte)'T': Push(Encoding.Latin1.GetString(Take(ReadLength(4)))); break;   // BINSTRING
            case (byte)'C': Push(Take(ReadLength(1)).ToArray()); break;  // SHORT_BINBYTES
            case (byte)'B': Push(Take(ReadLength(4)).ToArray()); break;  // BINBYTES
            case 0x8e: Push(Take(ReadLength(8)).ToArray()); break;       // BINBYTES8
            case 0x96: Push(Take(ReadLength(8)).ToArray()); break;       // BYTEARRAY8

            // containers
            case (byte)'}': Push(new PickleDict()); break;               // EMPTY_DICT
            case (byte)']': Push(new List<object?>()); break;            // EMPTY_LIST
            case 0x8f: Push(new List<object?>()); break;                 // EMPTY_SET
            case (byte)')': Push(Array.Empty<object?>()); break;         // EMPTY_TUPLE
            case 0x85: Push(PopN(1)); break;                             // TUPLE1
            case 0x86: Push(PopN(2)); break;                             // TUPLE2
            case 0x87: Push(PopN(3)); break;                             // TUPLE3
            case (byte)'t': Push(PopMark()); break;                      // TUPLE
            case 0x91: Push(PopMark()); break;                           // FROZENSET
            case (byte)'l': Push(new List<object?>(PopMark())); break;   // LIST
            case (byte)'d': Push(DictFrom(PopMark())); break;            // DICT
            case (byte)'a': Append(Pop()); break;                        // APPEND
            case (byte)'e': AppendMarked(); break;                       // APPENDS
            case 0x90: AppendMarked(); break;                            // ADDITEMS
            case (byte)'s': SetItems(PopN(2)); break;                    // SETITEM
            case (byte)'u': SetItems(PopMark()); break;                  // SETITEMS

            // memo
            case (byte)'q': Memoize(ReadByte()); break;                  // BINPUT
            case (byte)'r': Memoize(ReadUnsigned(4, "a memo index")); break;               // LONG_BINPUT
            case 0x94: Memoize(_memo.Count); break;                      // MEMOIZE
            case (byte)'p': Memoize(ParseMemoLine()); break;             // PUT (text)
            case (byte)'h': Push(MemoGet(ReadByte())); break;            // BINGET
            case (byte)'j': Push(MemoGet(ReadUnsigned(4, "a memo index"))); break;         // LONG_BINGET
            case (byte)'g': Push(MemoGet(ParseMemoLine())); break;       // GET (text)

            // globals and objects: meaning comes from TorchPickleRules, never from Python
            case (byte)'c': Push(Global(ReadLine(), ReadLine())); break; // GLOBAL
            case 0x93: StackGlobal(); break;                             // STACK_GLOBAL
            case (byte)'R': Reduce(); break;                             // REDUCE
            case 0x81: NewObject(hasKeywords: false); break;             // NEWOBJ
            case 0x92: NewObject(hasKeywords: true); break;              // NEWOBJ_EX
            case (byte)'i': Instantiate(Global(ReadLine(), ReadLine()), PopMark()); break;   // INST
            case (byte)'o': Instantiate(null, PopMark()); break;         // OBJ
            case (byte)'b': Pop(); Peek(); break;                        // BUILD: state is dropped (see below)
            case (byte)'Q': Push(TorchPickleRules.PersistentLoad(Pop())); break;             // BINPERSID

            default:
                throw new FormatException($"unsupported pickle opcode 0x{opcode:x2}");
        }
    }

    // BUILD sets an object's state (__setstate__ or __dict__). Placeholders are never used, the
    // OrderedDict state torch writes is its '_metadata' (module versions), and tensors get none that
    // matters: dropping the state loses nothing we read and runs nothing.

    private void Reduce()
    {
        object? args = Pop();
        object? callable = Pop();
        if (args is not object?[] arguments)
            throw new FormatException($"REDUCE arguments are {TorchPickleRules.Describe(args)}, not a tuple");
        foreach (object? argument in arguments)
            _callBudget -= 1 + SizeOf(argument);
        if (_callBudget < 0)
            throw new FormatException("pickle calls functions on more data than its length can hold (a memo bomb?)");
        Push(TorchPickleRules.Call(callable, arguments));
    }

    private void NewObject(bool hasKeywords)
    {
        if (hasKeywords)
            Pop();
        Pop(); // constructor arguments: a placeholder keeps none of them
        Push(TorchPickleRules.Construct(Pop()));
    }

    // INST names the class inline; OBJ takes it as the first item after the mark.
    private void Instantiate(PickleGlobal? type, object?[] items)
    {
        if (type is null && items.Length == 0)
            throw new FormatException("OBJ without a class");
        Push(TorchPickleRules.Construct(type ?? items[0]));
    }

    private void StackGlobal()
    {
        object? name = Pop(), module = Pop();
        if (module is not string m || name is not string n)
            throw new FormatException("STACK_GLOBAL needs two strings");
        Push(Global(m, n));
    }

    private static PickleGlobal Global(string module, string name)
    {
        var global = new PickleGlobal(module, name);
        TorchPickleRules.RefuseIfDenied(global);
        return global;
    }

    private void Append(object? value) => ListOnTop().Add(value);

    private void AppendMarked()
    {
        object?[] items = PopMark();
        ListOnTop().AddRange(items);
    }

    private List<object?> ListOnTop() => Peek() as List<object?>
        ?? throw new FormatException($"APPEND to {TorchPickleRules.Describe(Peek())}, which is not a list");

    private void SetItems(object?[] keysAndValues)
    {
        if (keysAndValues.Length % 2 != 0)
            throw new FormatException("SETITEMS with an odd number of items");
        if (Peek() is not PickleDict dict)
            throw new FormatException($"SETITEM on {TorchPickleRules.Describe(Peek())}, which is not a dict");
        for (int i = 0; i < keysAndValues.Length; i += 2)
            dict.Set(keysAndValues[i], keysAndValues[i + 1]);
    }

    private static PickleDict DictFrom(object?[] keysAndValues)
    {
        if (keysAndValues.Length % 2 != 0)
            throw new FormatException("DICT with an odd number of items");
        var dict = new PickleDict();
        for (int i = 0; i < keysAndValues.Length; i += 2)
            dict.Set(keysAndValues[i], keysAndValues[i + 1]);
        return dict;
    }

    // The work an allow-listed call may do on one argument: its length, for the values that have one.
    private static long SizeOf(object? value) => value switch
    {
        string s => s.Length,
        byte[] b => b.Length,
        object?[] t => t.Length,
        List<object?> l => l.Count,
        PickleDict d => d.Items.Count,
        _ => 0,
    };

    // ---- the stacks ----

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStack)
            throw new FormatException($"pickle stack exceeds {MaxStack} values");
        _stack.Add(value);
    }

    private void Mark()
    {
        if (_marks.Count >= MaxMarks)
            throw new FormatException($"pickle nests more than {MaxMarks} marks");
        _marks.Add(_stack.Count);
    }

    private void Memoize(long index)
    {
        if (_memo.Count >= MaxMemo && !_memo.ContainsKey(index))
            throw new FormatException($"pickle memoizes more than {MaxMemo} values");
        _memo[index] = Peek();
    }

    private object? Peek()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] == _stack.Count))
            throw new FormatException("pickle stack underflow");
        return _stack[^1];
    }

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] PopN(int n)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count - floor < n)
            throw new FormatException("pickle stack underflow");
        return PopFrom(_stack.Count - n);
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0)
            throw new FormatException("pickle uses a mark that was never set");
        int start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        return PopFrom(start);
    }

    private object?[] PopFrom(int start)
    {
        var items = new object?[_stack.Count - start];
        _stack.CopyTo(start, items, 0, items.Length);
        _stack.RemoveRange(start, items.Length);
        return items;
    }

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw new FormatException($"memo index {index} was never stored");

    // ---- operands: every length is checked against the bytes that remain before it is used ----

    private byte ReadByte() => Take(1)[0];

    private ReadOnlySpan<byte> Take(long count)
    {
        if (count < 0 || count > _pickle.Length - _at)
            throw new FormatException(_at >= _pickle.Length
                ? "pickle ends before its STOP opcode"
                : $"an operand of {count} bytes runs past the end of the pickle ({_pickle.Length - _at} left)");
        var span = _pickle.AsSpan(_at, (int)count);
        _at += (int)count;
        return span;
    }

    /// <summary>An unsigned operand of 1, 4 or 8 bytes used as a length (of the operand that follows).</summary>
    private long ReadLength(int bytes) => ReadUnsigned(bytes, "an operand length");

    /// <summary>
    /// An unsigned little-endian operand of 1, 4 or 8 bytes; <paramref name="what"/> names it when it
    /// is beyond what a pickle in memory can hold (2^31 - 1: nothing real is that long or that many).
    /// </summary>
    private long ReadUnsigned(int bytes, string what)
    {
        ReadOnlySpan<byte> b = Take(bytes);
        ulong value = bytes switch
        {
            1 => b[0],
            4 => BinaryPrimitives.ReadUInt32LittleEndian(b),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(b),
        };
        return value <= int.MaxValue ? (long)value
            : throw new FormatException($"{what} of {value} overflows (the pickle has {_pickle.Length} bytes)");
    }

    // LONG1/LONG4: little-endian two's complement of n bytes.
    private static object ReadLongBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
            return 0L;
        if (bytes.Length <= 8)
        {
            long value = (sbyte)bytes[^1] < 0 ? -1L : 0L;
            for (int i = bytes.Length - 1; i >= 0; i--)
                value = (value << 8) | bytes[i];
            return value;
        }
        return new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
    }

    private object ReadLong(long length) => ReadLongBytes(Take(length));

    private string ReadLine()
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _at);
        if (end < 0)
            throw new FormatException("a text operand has no end of line");
        string line = Utf8(Take(end - _at));
        _at++; // the newline
        return line;
    }

    private object ParseIntLine()
    {
        string line = ReadLine();
        return line switch
        {
            "01" => true,  // protocol 0 writes booleans as INT 01 / 00
            "00" => false,
            _ => long.TryParse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
                ? v : throw new FormatException("INT operand is not an integer"),
        };
    }

    private object ParseLongLine()
    {
        string line = ReadLine().TrimEnd('L');
        if (line.Length > 4096)
            throw new FormatException("LONG operand is too long");
        return long.TryParse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v
            : BigInteger.TryParse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out BigInteger big)
                ? big : throw new FormatException("LONG operand is not an integer");
    }

    private double ParseFloatLine() =>
        double.TryParse(ReadLine(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new FormatException("FLOAT operand is not a number");

    private long ParseMemoLine() =>
        long.TryParse(ReadLine(), NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v : throw new FormatException("memo index is not an integer");

    private static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("a string is not valid UTF-8");
        }
    }
}
