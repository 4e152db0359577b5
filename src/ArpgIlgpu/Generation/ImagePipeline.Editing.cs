using ArpgIlgpu.Imaging;

namespace ArpgIlgpu.Generation;

/// <summary>Zero-shot editing (the paper's Section 4.4) with the pipeline's models: see <see cref="ImageEditor"/>.</summary>
public sealed partial class ImagePipeline
{
    /// <inheritdoc cref="ImageEditor.Inpaint"/>
    public EditResult Inpaint(RgbImage image, RgbImage mask, int classLabel, GenerationOptions options, bool keepUnmasked = true,
        IProgress<WindowedCompletion.Window>? progress = null, CancellationToken cancel = default, StepObserver? observer = null) =>
        Editor(classLabel, observer).Inpaint(image, mask, classLabel, options, keepUnmasked, progress, cancel);

    /// <inheritdoc cref="ImageEditor.Outpaint"/>
    public EditResult Outpaint(RgbImage image, int left, int right, int top, int bottom, int classLabel,
        GenerationOptions options, bool keepOriginal = true, IProgress<WindowedCompletion.Window>? progress = null,
        CancellationToken cancel = default, StepObserver? observer = null) =>
        Editor(classLabel, observer).Outpaint(image, left, right, top, bottom, classLabel, options, keepOriginal, progress, cancel);

    /// <inheritdoc cref="ImageEditor.Expand"/>
    public EditResult Expand(RgbImage image, int scale, int classLabel, GenerationOptions options,
        IProgress<WindowedCompletion.Window>? progress = null, CancellationToken cancel = default, StepObserver? observer = null) =>
        Editor(classLabel, observer).Expand(image, scale, classLabel, options, progress, cancel);

    /// <summary>
    /// The editor over both models, once the class is known to be one of the model's;
    /// <paramref name="observer"/> sees every decoding step of every window.
    /// </summary>
    private ImageEditor Editor(int classLabel, StepObserver? observer)
    {
        TokenChecks.RequireClasses(Transformer.Config, [classLabel], nameof(classLabel));
        return new ImageEditor(Transformer, Tokenizer) { Observer = observer };
    }
}
