using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Vq;

/// <summary>The VQ tokenizer against the outputs of the official PyTorch code (fixtures README).</summary>
public class VqFixtureTests
{
    public static IEnumerable<object[]> FixtureNames() => Fixtures.Names.Select(n => new object[] { n });

    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames))]
    public void DecodeMatchesTheOfficialImage(string backend, string fixture)
    {
        using var f = new VqFixture(fixture, TestDevices.Get(backend));
        int[] shape = f.Shape("decode.codes"); // [B, g, g]
        float[] image = f.Model.Decode(f.Ints("decode.codes"), shape[0], shape[1], shape[2]);
        // The fixtures' stated tolerance for a float32 port: 2e-3 absolute.
        TestData.AssertClose(f.Expected.ReadFloat32("decode.image"), image, rtol: 0f, atol: 2e-3f, "decode.image");
    }

    [Theory, CpuCases(nameof(FixtureNames)), OpenClCases(nameof(FixtureNames))]
    public void EncodeMatchesTheOfficialLatentAndCodes(string backend, string fixture)
    {
        using var f = new VqFixture(fixture, TestDevices.Get(backend));
        int[] shape = f.Shape("encode.image"); // [B, 3, H, W]
        var encoding = f.Model.Encode(f.Expected.ReadFloat32("encode.image"), shape[0], shape[2], shape[3]);
        // Activations: the fixtures' 1e-3 + 1e-3 |b|; codes exactly.
        TestData.AssertClose(f.Expected.ReadFloat32("encode.latent"), encoding.Latent, rtol: 1e-3f, atol: 1e-3f,
            "encode.latent");
        Assert.Equal(f.Ints("encode.codes"), encoding.Codes);
    }
}
