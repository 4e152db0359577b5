using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Lengths and memo indices beyond 2^31 - 1 in a pickle, and storages whose byte length passes
/// 2^63, are reported as overflowing, with the value, never as "-1" or a negative size.
/// </summary>
public sealed class LengthOverflowTests
{
    /// <summary>The opcodes that take a 4- or 8-byte unsigned operand: (opcode, operand bytes, what it is).</summary>
    private static readonly (byte Opcode, int Bytes, string What)[] LengthOpcodes =
    [
        (0x8b, 4, "length"), ((byte)'X', 4, "length"), (0x8d, 8, "length"), ((byte)'T', 4, "length"),
        ((byte)'B', 4, "length"), (0x8e, 8, "length"), (0x96, 8, "length"), (0x95, 8, "length"),
        ((byte)'r', 4, "memo index"), ((byte)'j', 4, "memo index"),
    ];

    /// <summary>2000 pickles: each length opcode with a random value above 2^31 - 1 (after a random valid prefix).</summary>
    [Fact]
    public void HugeOperandsSayTheyOverflow()
    {
        var random = new Random(31);
        for (int trial = 0; trial < 2000; trial++)
        {
            (byte opcode, int bytes, string what) = LengthOpcodes[random.Next(LengthOpcodes.Length)];
            ulong value = bytes == 4
                ? (ulong)random.NextInt64((long)int.MaxValue + 1, (long)uint.MaxValue + 1)
                : (ulong)random.NextInt64((long)int.MaxValue + 1, long.MaxValue) * (ulong)random.Next(1, 3);
            var pickle = new List<byte> { 0x80, 2 };
            for (int n = random.Next(0, 4); n > 0; n--)
                pickle.AddRange([(byte)'K', (byte)random.Next(256)]); // BININT1: a harmless prefix
            if (opcode is (byte)'r')
                pickle.Add((byte)'N'); // something to memoize
            pickle.Add(opcode);
            pickle.AddRange(BitConverter.GetBytes(value).Take(bytes));
            pickle.AddRange(new byte[random.Next(0, 16)]);
            pickle.Add((byte)'.');

            var e = Assert.ThrowsAny<Exception>(() => new Unpickler([.. pickle], "file.pt", "data.pkl").Load());
            Assert.True(e is InvalidInputException, $"{e.GetType().Name}: {e.Message}");
            Assert.Contains($"{what} of {value} overflows", e.Message);
            Assert.DoesNotContain("-1", e.Message);
        }
    }

    /// <summary>200 storages claiming element counts whose byte length overflows a long: the message says so, never a negative size.</summary>
    [Fact]
    public void HugeStorageElementCountsSayTheirLengthOverflows()
    {
        var random = new Random(63);
        for (int trial = 0; trial < 200; trial++)
        {
            long claimed = random.NextInt64(long.MaxValue / 4 + 1, long.MaxValue);
            var builder = new TorchCheckpointBuilder
            {
                Tensors = [BuiltTensor.Float32("w", [1f, 2f], 2) with { ClaimedElements = claimed }],
            };
            var e = Assert.ThrowsAny<InvalidInputException>(() => StateDict.Open(builder.ToArray(), "huge.pt").Dispose());
            Assert.Contains("overflows", e.Message);
            Assert.DoesNotContain("(-", e.Message);
        }
    }
}
