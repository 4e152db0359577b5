using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>
/// <see cref="ImagePipeline"/>: loading by name or by files, only the parts asked for, and every
/// operation (generate, edit, encode, decode, score) through it, each stopping when cancelled.
/// </summary>
public sealed class ImagePipelineTests
{
    private static readonly GenerationOptions Options = new() { Steps = 4, Sampling = new SamplingSettings { Seed = 5 } };

    private static ImagePipeline Tiny(PipelineParts parts = PipelineParts.Both)
    {
        ModelConfigFile config = ModelConfigFile.Read(Fixtures.PathOf("tiny", "json"));
        return ImagePipeline.Load(new PipelineFiles
        {
            Arpg = config.Arpg!, ArpgCheckpoint = Fixtures.PathOf("tiny", "arpg.pt"),
            Vq = config.Vq!, VqCheckpoint = Fixtures.PathOf("tiny", "vq.pt"),
        }, new PipelineOptions { Device = TestDevices.Get("cpu"), Parts = parts });
    }

    [Fact]
    public void TinyRandomByNameIsTheRandomPipelineAndHoldsOnlyThePartsAskedFor()
    {
        var options = new PipelineOptions { Device = TestDevices.Get("cpu"), Parts = PipelineParts.Tokenizer };
        using ImagePipeline pipeline = ImagePipeline.FromPretrained("Tiny-Random", options);

        Assert.Equal(PipelineParts.Tokenizer, pipeline.Parts);
        Assert.Equal(TinyRandom.Vq, pipeline.Tokenizer.Config);
        Assert.Contains("Parts", Assert.Throws<InvalidOperationException>(() => pipeline.Transformer).Message);
        Assert.Empty(pipeline.IgnoredEntries);
    }

    [Fact]
    public void AReleasedModelWithoutWeightsAndWithoutDownloadsNamesTheFilesAndWhereItLooked()
    {
        using var cache = new TempDirectory();
        var options = new PipelineOptions { CacheDirectory = cache.Path, Download = false };

        var e = Assert.Throws<MissingWeightsException>(() => ImagePipeline.FromPretrained("arpg-l", options));

        Assert.Contains(Path.Combine(cache.Path, WeightManifest.Official.Get("ARPG-L").FileName), e.Message);
        Assert.Contains(Path.Combine(cache.Path, WeightManifest.Official.Get(PretrainedModels.TokenizerName).FileName), e.Message);
        Assert.Contains("PipelineOptions.Download", e.Message);
    }

    [Fact]
    public void AnUnknownNameIsAnErrorListingTheKnownOnes()
    {
        var e = Assert.Throws<InvalidParameterException>(() => ImagePipeline.FromPretrained("ARPG-M"));
        Assert.Equal("model", e.Parameter);
        Assert.Contains("ARPG-L, ARPG-XL, ARPG-XXL, tiny-random", e.Problem);
    }

    [Fact]
    public void LoadingAPartWithoutItsCheckpointNamesTheMissingFile()
    {
        var files = new PipelineFiles { Arpg = TinyRandom.Arpg, ArpgCheckpoint = Fixtures.PathOf("tiny", "arpg.pt"), Vq = TinyRandom.Vq };

        var e = Assert.Throws<InvalidParameterException>(() => ImagePipeline.Load(files, new PipelineOptions { Device = TestDevices.Get("cpu") }));
        Assert.Equal(nameof(PipelineFiles.VqCheckpoint), e.Parameter);

        e = Assert.Throws<InvalidParameterException>(() => ImagePipeline.Load(files with { ArpgCheckpoint = "missing.pt" },
            new PipelineOptions { Device = TestDevices.Get("cpu"), Parts = PipelineParts.Transformer }));
        Assert.Equal((nameof(PipelineFiles.ArpgCheckpoint), "missing.pt", "no such file"), (e.Parameter, e.Value, e.Problem));
    }

    [Fact]
    public void EveryOperationAgreesWithTheModelsItWraps()
    {
        using ImagePipeline pipeline = Tiny();
        int[][] tokens = pipeline.GenerateTokens([3, 7], Options);
        RgbImage[] pictures = pipeline.Generate([3, 7], Options);

        Assert.Equal(tokens, new ParallelDecoder(pipeline.Transformer).Generate([3, 7], Options));
        Assert.Equal(TokenPictures.Decode(pipeline.Tokenizer, tokens)[1].Pixels, pictures[1].Pixels);
        Assert.Equal(pipeline.Decode(tokens)[0].Pixels, pictures[0].Pixels);
        Assert.Equal(pipeline.Tokenizer.Encode(pictures[0].ToModelInput(), 1, 128, 128).Codes, pipeline.Encode(pictures[0]).Codes);
        int[][] orders = [RandomOrder.Draw(64, 9), RandomOrder.Draw(64, 10)];
        Assert.Equal(TeacherForcedScorer.Score(pipeline.Transformer, tokens, [3, 7], orders).CrossEntropy,
            pipeline.Score(tokens, [3, 7], seed: 9).CrossEntropy);
        var mask = new RgbImage(128, 128, new byte[128 * 128 * 3]); // all black: every token kept
        Assert.Equal(pipeline.Encode(pictures[0]).Codes, pipeline.Inpaint(pictures[0], mask, 3, Options).Canvas.Tokens);
    }

    [Fact]
    public void EveryOperationStopsWhenCancelled()
    {
        using ImagePipeline pipeline = Tiny();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        CancellationToken c = cancelled.Token;
        RgbImage picture = pipeline.Decode([new int[64]])[0];
        var mask = new RgbImage(128, 128, Enumerable.Repeat((byte)255, 128 * 128 * 3).ToArray());

        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Generate([3], Options, cancel: c));
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Inpaint(picture, mask, 3, Options, cancel: c));
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Outpaint(picture, 0, 16, 0, 0, 3, Options, cancel: c));
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Expand(picture, 2, 3, Options, cancel: c));
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Encode(picture, c));
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Decode([new int[64]], cancel: c));
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Score([new int[64]], [3], cancel: c));
    }

    [Fact]
    public void BadArgumentsAreTypedErrorsNamingTheParameter()
    {
        using ImagePipeline pipeline = Tiny();
        RgbImage picture = pipeline.Decode([new int[64]])[0];

        Assert.Equal(nameof(GenerationOptions.Steps), Assert.Throws<InvalidParameterException>(
            () => pipeline.Generate([3], Options with { Steps = 65 })).Parameter);
        Assert.Equal(nameof(SamplingSettings.TopP), Assert.Throws<InvalidParameterException>(
            () => pipeline.Generate([3], Options with { Sampling = new SamplingSettings { TopP = 0 } })).Parameter);
        Assert.Equal("classes", Assert.Throws<InvalidParameterException>(() => pipeline.Generate([10], Options)).Parameter);
        Assert.Equal("classLabel", Assert.Throws<InvalidParameterException>(() => pipeline.Expand(picture, 2, -1, Options)).Parameter);
        Assert.Equal("image", Assert.Throws<InvalidParameterException>(
            () => pipeline.Encode(new RgbImage(20, 16, new byte[20 * 16 * 3]))).Parameter);
        Assert.Equal("orders", Assert.Throws<InvalidParameterException>(
            () => pipeline.Score([new int[64]], [3], [new int[64]])).Parameter);
    }
}
