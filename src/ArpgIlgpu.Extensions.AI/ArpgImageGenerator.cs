using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using Microsoft.Extensions.AI;

namespace ArpgIlgpu.Extensions.AI;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IImageGenerator"/> over an <see cref="ImagePipeline"/>:
/// the prompt is a class (<see cref="ClassPrompt"/>), <see cref="ImageGenerationOptions.Count"/>
/// images come back as PNG <see cref="DataContent"/>. An edit request (original images: the
/// picture, then a mask of its size, white where content is regenerated) is inpainting.
/// </summary>
public sealed class ArpgImageGenerator : IImageGenerator
{
    private readonly ImagePipeline pipeline;
    private readonly GenerationOptions defaults;
    private readonly bool ownsPipeline;
    private readonly string modelId;

    /// <summary>
    /// A generator over <paramref name="pipeline"/> (which needs both models), with
    /// <paramref name="defaults"/> for steps, guidance and sampling (seed included); it disposes
    /// the pipeline when <paramref name="ownsPipeline"/>.
    /// </summary>
    public ArpgImageGenerator(ImagePipeline pipeline, GenerationOptions? defaults = null, bool ownsPipeline = false,
        string modelId = "ARPG")
    {
        if (pipeline.Parts != PipelineParts.Both)
            throw new ArgumentException("the pipeline needs the transformer and the tokenizer", nameof(pipeline));
        this.pipeline = pipeline;
        this.defaults = defaults ?? new GenerationOptions();
        this.ownsPipeline = ownsPipeline;
        this.modelId = modelId;
    }

    /// <summary>A generator over <see cref="ImagePipeline.FromPretrained"/>(<paramref name="model"/>), which it owns.</summary>
    public static ArpgImageGenerator FromPretrained(string model = "ARPG-L", PipelineOptions? options = null,
        GenerationOptions? defaults = null) =>
        new(ImagePipeline.FromPretrained(model, options), defaults, ownsPipeline: true, modelId: model);

    /// <inheritdoc />
    public Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        int label = ClassPrompt.Parse(request.Prompt, pipeline.Transformer.Config.NumClasses);
        int count = options?.Count ?? 1;
        if (count < 1)
            throw new InvalidParameterException(nameof(ImageGenerationOptions.Count), $"{count}", "must be at least 1");
        if (options?.MediaType is string mediaType && mediaType != ImageBytes.PngMediaType)
            throw new InvalidParameterException(nameof(ImageGenerationOptions.MediaType), mediaType, $"only {ImageBytes.PngMediaType} is made");
        DataContent[] originals = request.OriginalImages?.OfType<DataContent>().ToArray() ?? [];
        return Task.Run(() =>
        {
            RgbImage[] pictures = originals.Length == 0
                ? pipeline.Generate(Enumerable.Repeat(label, count).ToArray(), defaults, cancel: cancellationToken)
                : Inpaint(originals, label, count, cancellationToken);
            return new ImageGenerationResponse(pictures.Select(p => (AIContent)ImageBytes.Png(p)).ToList());
        }, cancellationToken);
    }

    /// <summary>Inpaints the first original where the second (the mask) is white, once per image asked for, each with the next seed.</summary>
    private RgbImage[] Inpaint(DataContent[] originals, int label, int count, CancellationToken cancel)
    {
        if (originals.Length != 2)
            throw new InvalidParameterException(nameof(ImageGenerationRequest.OriginalImages), $"{originals.Length} image(s)",
                "an edit takes two: the picture, then its mask (white where content is regenerated)");
        RgbImage image = ImageBytes.Read(originals[0], pipeline.Tokenizer.Config.DownsampleFactor, "image");
        RgbImage mask = ImageBytes.Read(originals[1], 1, "mask");
        return Enumerable.Range(0, count).Select(i => pipeline.Inpaint(image, mask, label,
            defaults with { Sampling = defaults.Sampling with { Seed = defaults.Sampling.Seed + (ulong)i } },
            cancel: cancel).Image).ToArray();
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ImageGeneratorMetadata) ? new ImageGeneratorMetadata("ArpgIlgpu", null, modelId)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(pipeline) ? pipeline
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
        if (ownsPipeline)
            pipeline.Dispose();
    }
}
