using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Editing;

/// <summary>
/// Inpainting, outpainting and expansion on the tiny fixture (an 8x8 window, 128x128 pictures):
/// what must stay stays, what must be generated is, and a seed names the result.
/// </summary>
public sealed class ImageEditorTests : IDisposable
{
    private const int Class = 3;
    private readonly FixtureSet fixture = new("tiny");
    private readonly GenerationOptions options = new() { Steps = 8, Sampling = new SamplingSettings { Seed = 7 } };

    public void Dispose() => fixture.Dispose();

    /// <summary>The models on a device, and a 128x128 input: a picture the tiny model generated (seed 1).</summary>
    private (ArpgTransformer, VqModel, RgbImage) Setup(string backend)
    {
        ComputeDevice device = TestDevices.Get(backend);
        ArpgTransformer transformer = fixture.LoadTransformer(device);
        using StateDict vqWeights = StateDict.Open(Fixtures.PathOf("tiny", "vq.pt"));
        var tokenizer = VqModel.Load(device, ModelConfigFile.Read(Fixtures.PathOf("tiny", "json")).Vq!, vqWeights);
        int[] tokens = new ParallelDecoder(transformer).Generate([Class], options with { Sampling = new() { Seed = 1 } })[0];
        return (transformer, tokenizer, TokenPictures.Decode(tokenizer, [tokens])[0]);
    }

    private static RgbImage Mask(int size, Func<int, int, bool> white)
    {
        var pixels = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (white(x, y))
                    pixels.AsSpan((y * size + x) * 3, 3).Fill(255);
        return new RgbImage(size, size, pixels);
    }

    [Theory, Cpu, OpenCl, OpenClGpu]
    public void InpaintingKeepsEveryUnmaskedTokenAndMatchesGenerationAtTheExtremes(string backend)
    {
        (ArpgTransformer transformer, VqModel tokenizer, RgbImage image) = Setup(backend);
        using (transformer)
        using (tokenizer)
        {
            var editor = new ImageEditor(transformer, tokenizer);
            int[] encoded = tokenizer.Encode(image.ToModelInput(), 1, 128, 128).Codes;

            // nothing masked: the encoded tokens, unchanged; nothing generated
            EditResult none = editor.Inpaint(image, Mask(128, (_, _) => false), Class, options, keepUnmasked: true);
            Assert.Equal(encoded, none.Canvas.Tokens);
            Assert.Empty(none.Windows);
            Assert.Equal(image.Pixels, none.Image.Pixels); // every pixel kept

            // everything masked: plain generation with the same seed
            EditResult all = editor.Inpaint(image, Mask(128, (_, _) => true), Class, options, keepUnmasked: true);
            Assert.Equal(new ParallelDecoder(transformer).Generate([Class], options)[0], all.Canvas.Tokens);

            // a square in the middle (pixels 40..87: cells 2..5, partly covered cells count as masked)
            RgbImage square = Mask(128, (x, y) => x is >= 40 and < 88 && y is >= 40 and < 88);
            EditResult part = editor.Inpaint(image, square, Class, options, keepUnmasked: true);
            for (int p = 0; p < 64; p++)
            {
                bool masked = p / 8 is >= 2 and <= 5 && p % 8 is >= 2 and <= 5;
                Assert.Equal(!masked, part.InputKnown[p]);
                if (!masked)
                    Assert.Equal(encoded[p], part.Canvas.Tokens[p]);
            }
            Assert.Contains(Enumerable.Range(0, 64), p => !part.InputKnown[p] && part.Canvas.Tokens[p] != encoded[p]);
            // outside the mask the picture is the input's; and a seed names the result
            for (int y = 0; y < 128; y++)
                for (int x = 0; x < 128; x++)
                    if (!(x is >= 40 and < 88 && y is >= 40 and < 88))
                        Assert.Equal(image.Pixels[(y * 128 + x) * 3], part.Image.Pixels[(y * 128 + x) * 3]);
            Assert.Equal(part.Canvas.Tokens, editor.Inpaint(image, square, Class, options, keepUnmasked: true).Canvas.Tokens);
        }
    }

    [Theory, Cpu, OpenCl, OpenClGpu]
    public void OutpaintingKeepsTheOriginalAndExpansionItsLattice(string backend)
    {
        (ArpgTransformer transformer, VqModel tokenizer, RgbImage image) = Setup(backend);
        using (transformer)
        using (tokenizer)
        {
            var editor = new ImageEditor(transformer, tokenizer);
            int[] encoded = tokenizer.Encode(image.ToModelInput(), 1, 128, 128).Codes;

            // 32 px on the left, 64 on the right: a canvas of 8 x 14 tokens filled by sliding windows
            EditResult wide = editor.Outpaint(image, left: 32, right: 64, top: 0, bottom: 0, Class, options, keepOriginal: false);
            Assert.Equal((224, 128), (wide.Image.Width, wide.Image.Height));
            Assert.Equal((8, 14), (wide.Canvas.Rows, wide.Canvas.Columns));
            Assert.True(wide.Windows.Count >= 2);
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++)
                    Assert.Equal(encoded[r * 8 + c], wide.Canvas.Tokens[r * 14 + 2 + c]);
            Assert.Equal(wide.Canvas.Tokens, editor.Outpaint(image, 32, 64, 0, 0, Class, options, false).Canvas.Tokens);

            // x2: the 16 x 16 grid of the upscaled picture keeps one token in every 2 x 2 block
            EditResult large = editor.Expand(image, 2, Class, options);
            Assert.Equal((256, 256), (large.Image.Width, large.Image.Height));
            int[] upscaled = tokenizer.Encode(RgbImageResize.Bicubic(image, 256, 256).ToModelInput(), 1, 256, 256).Codes;
            for (int p = 0; p < 256; p++)
            {
                bool kept = p / 16 % 2 == 0 && p % 16 % 2 == 0;
                Assert.Equal(kept, large.InputKnown[p]);
                if (kept)
                    Assert.Equal(upscaled[p], large.Canvas.Tokens[p]);
            }
        }
    }

    [Fact]
    public void BadEditsAreRefusedNamingTheParameter()
    {
        (ArpgTransformer transformer, VqModel tokenizer, RgbImage image) = Setup("cpu");
        using (transformer)
        using (tokenizer)
        {
            var editor = new ImageEditor(transformer, tokenizer);
            Assert.Equal("mask", Assert.Throws<InvalidParameterException>(
                () => editor.Inpaint(image, Mask(64, (_, _) => true), Class, options, true)).Parameter);
            Assert.Equal("right", Assert.Throws<InvalidParameterException>(
                () => editor.Outpaint(image, 0, 10, 0, 0, Class, options, true)).Parameter);
            Assert.Equal("top", Assert.Throws<InvalidParameterException>(
                () => editor.Outpaint(image, 0, 0, -16, 0, Class, options, true)).Parameter);
            Assert.Equal("scale", Assert.Throws<InvalidParameterException>(
                () => editor.Expand(image, 0, Class, options)).Parameter);
        }
    }
}
