using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>Philox-4x32-10 against Random123's published known answers, on the host and in a kernel.</summary>
public class PhiloxTests
{
    /// <summary>
    /// The three "philox4x32 10" lines of Random123's tests/kat_vectors
    /// (github.com/DEShawResearch/random123): counter[4], key[2], expected output[4].
    /// </summary>
    private static readonly uint[][] KnownAnswers =
    [
        [0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
         0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
         0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ];

    [Fact]
    public void HostMatchesRandom123KnownAnswers()
    {
        foreach (uint[] v in KnownAnswers)
        {
            PhiloxBlock y = Philox.Generate(new PhiloxBlock(v[0], v[1], v[2], v[3]), v[4], v[5]);
            Assert.Equal(v[6..10], new[] { y.X0, y.X1, y.X2, y.X3 });
            // The seed overload puts the low word in key0.
            ulong seed = v[4] | ((ulong)v[5] << 32);
            Assert.Equal(y.X0, Philox.Generate(seed, v[0], v[1], v[2], v[3]).X0);
        }
    }

    /// <summary>out[i] = Philox(counter[i], key[i]): the generator as kernels call it.</summary>
    private static void GenerateKernel(Index1D i, ArrayView<uint> counters, ArrayView<uint> keys, ArrayView<uint> output)
    {
        PhiloxBlock y = Philox.Generate(
            new PhiloxBlock(counters[4 * i], counters[4 * i + 1], counters[4 * i + 2], counters[4 * i + 3]),
            keys[2 * i], keys[2 * i + 1]);
        output[4 * i] = y.X0;
        output[4 * i + 1] = y.X1;
        output[4 * i + 2] = y.X2;
        output[4 * i + 3] = y.X3;
    }

    [Theory, Cpu, OpenCl]
    public void KernelMatchesRandom123KnownAnswers(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        int n = KnownAnswers.Length;
        using var counters = Tensor<uint>.FromArray(device, KnownAnswers.SelectMany(v => v[..4]).ToArray(), n, 4);
        using var keys = Tensor<uint>.FromArray(device, KnownAnswers.SelectMany(v => v[4..6]).ToArray(), n, 2);
        using var output = new Tensor<uint>(device, n, 4);
        var kernel = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, ArrayView<uint>>(
            GenerateKernel);
        kernel(n, counters.View, keys.View, output.View);
        Assert.Equal(KnownAnswers.SelectMany(v => v[6..10]).ToArray(), output.ToArray());
    }

    [Fact]
    public void UniformUsesTheTop24BitsOfTheFirstWord()
    {
        Assert.Equal(0f, Philox.ToUniform(0x000000ff));
        Assert.Equal(0.5f, Philox.ToUniform(0x80000000));
        Assert.Equal(1f - 1f / 16777216f, Philox.ToUniform(0xffffffff));
        // Counter (0,0,0,0), key 0: first word 6627e8d5 (Random123), top 24 bits 0x6627e8.
        Assert.Equal(0x6627e8 / 16777216f, Philox.Uniform(0, 0, 0, 0, 0));
    }
}
