using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Vq;

public class VqModelTests
{
    /// <summary>A two-level VQ (downsample 2) small enough for the CPU accelerator in a second.</summary>
    private static readonly VqConfig Small = new()
    {
        CodebookSize = 16, CodebookEmbedDim = 4, Ch = 32, ChMult = [1, 2], ZChannels = 32, NumResBlocks = 1,
    };

    [Theory, Cpu, OpenCl]
    public void SeveralPassesGiveTheSameImagesAndCodesAsOne(string backend)
    {
        using VqModel vq = VqModel.CreateRandom(TestDevices.Get(backend), Small, seed: 3);
        var rng = new Random(4);
        const int batch = 3, gh = 2, gw = 3; // a rectangular grid: 4 x 6 pixels
        int[] codes = Enumerable.Range(0, batch * gh * gw).Select(_ => rng.Next(Small.CodebookSize)).ToArray();
        float[] onePass = vq.Decode(codes, batch, gh, gw);
        VqEncoding encodedOnce = vq.Encode(onePass.Select(v => Math.Clamp(v, -1f, 1f)).ToArray(), batch, 4, 6);

        vq.MaxImagesPerPass = 2; // passes of 2 and 1 images
        Assert.Equal(onePass, vq.Decode(codes, batch, gh, gw));
        VqEncoding encodedInPasses = vq.Encode(onePass.Select(v => Math.Clamp(v, -1f, 1f)).ToArray(), batch, 4, 6);
        Assert.Equal(encodedOnce.Latent, encodedInPasses.Latent);
        Assert.Equal(encodedOnce.Codes, encodedInPasses.Codes);
        Assert.Equal((gh, gw), (encodedOnce.GridHeight, encodedOnce.GridWidth));
        Assert.All(onePass, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void CodesOutsideTheCodebookAreRejectedNamingImageAndToken()
    {
        using VqModel vq = VqModel.CreateRandom(TestDevices.Get("cpu"), Small, seed: 1);
        int[] codes = new int[2 * 4];
        codes[4 + 2] = Small.CodebookSize;
        var e = Assert.Throws<InvalidInputException>(() => vq.Decode(codes, 2, 2, 2));
        Assert.Contains("image 1, token 2: code 16", e.Message);
        codes[4 + 2] = -1;
        Assert.Throws<InvalidInputException>(() => vq.Decode(codes, 2, 2, 2));
        Assert.Throws<InvalidInputException>(() => vq.Decode(codes, 2, 2, 3)); // 8 codes for 12 tokens
    }

    [Fact]
    public void EncodeRejectsSizesThatAreNotMultiplesOfTheFactorAndNonFiniteValues()
    {
        using VqModel vq = VqModel.CreateRandom(TestDevices.Get("cpu"), Small, seed: 1);
        var e = Assert.Throws<InvalidInputException>(() => vq.Encode(new float[3 * 5 * 4], 1, 5, 4));
        Assert.Contains("multiples of 2", e.Message);
        Assert.Throws<InvalidInputException>(() => vq.Encode(new float[3 * 4 * 4], 1, 4, 2)); // wrong length
        float[] image = new float[3 * 4 * 4];
        image[7] = float.NaN;
        Assert.Throws<InvalidInputException>(() => vq.Encode(image, 1, 4, 4));
    }

    [Fact]
    public void GridsWhoseActivationsExceedTheBudgetAreRejected()
    {
        using VqModel vq = VqModel.CreateRandom(TestDevices.Get("cpu"), Small, seed: 1);
        // 4096 x 4096 tokens at downsample 2: 64 channels at 8192 x 8192, 48 GiB of activations
        var e = Assert.Throws<InvalidInputException>(() => vq.Decode(new int[1], 1, 4096, 4096));
        Assert.Contains("8192x8192", e.Message);
    }

    [Fact]
    public void LoadingACheckpointWithAnotherConfigNamesTheFirstMismatch()
    {
        VqConfig other = ModelConfigFile.Read(Fixtures.PathOf("tiny-fp16", "json")).Vq!;
        using StateDict weights = StateDict.Open(Fixtures.PathOf("tiny", "vq.pt"));
        var e = Assert.Throws<InvalidInputException>(() => VqModel.Load(TestDevices.Get("cpu"), other, weights));
        Assert.Contains("tiny.vq.pt", e.Message);
        Assert.Contains("expected", e.Message);
    }
}
