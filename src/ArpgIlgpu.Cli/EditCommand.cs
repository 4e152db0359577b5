using ArpgIlgpu.Generation;
using ArpgIlgpu.Generation.Explain;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>
/// What inpaint, outpaint and expand share: an input image, a class, the model, sampling and
/// output options; each command adds its own options and the edit itself.
/// </summary>
internal static class EditCommand
{
    /// <summary>The edit a command performs on the loaded image.</summary>
    public delegate EditResult Edit(ParseResult parsed, ImagePipeline pipeline, RgbImage image, int classLabel,
        GenerationOptions options, IProgress<WindowedCompletion.Window> progress, StepObserver? observer, CancellationToken cancel);

    public static Command Create(string name, string description, string outputFile, IEnumerable<Option> own, Edit edit)
    {
        var models = new ModelOptions();
        var sampling = new SamplingOptions();
        var image = new Argument<string>("IMAGE") { Description = "The input image (PNG or JPEG)" };
        var classLabel = new Option<int>("--class") { Description = "The class of the content to generate", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the result (created if missing)", DefaultValueFactory = _ => "out" };
        var saveTokens = new Option<string?>("--save-tokens") { Description = "Also write the result's tokens as JSON" };
        var crop = new Option<bool>("--crop") { Description = "Centre-crop the input to multiples of 16 pixels" };
        var resize = new Option<bool>("--resize") { Description = "Resize the input to multiples of 16 pixels" };
        var overwrite = new Option<bool>("--overwrite") { Description = $"Replace an existing {outputFile} in --out" };
        var explain = ExplainOption.Create();

        var command = new Command(name, description);
        command.Arguments.Add(image);
        foreach (Option o in new Option[] { classLabel, output, saveTokens, crop, resize, overwrite, explain }.Concat(own))
            command.Options.Add(o);
        models.AddTo(command, transformer: true, tokenizer: true);
        sampling.AddTo(command);
        command.SetAction(async (parsed, cancel) =>
        {
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: true, tokenizer: true, cancel);
            GenerationOptions options = sampling.Read(parsed, choice);
            int label = parsed.GetValue(classLabel);
            TokenChecks.RequireClasses(choice.Arpg, [label], "classLabel");
            ImageFit fit = FitOption.Read(parsed.GetValue(crop), parsed.GetValue(resize));
            RgbImage input = ImageLoader.Read(parsed.GetValue(image)!, choice.Vq.DownsampleFactor, fit);
            string folder = OutputFolder.Prepare(parsed.GetValue(output)!);
            string target = Path.Combine(folder, outputFile);
            if (File.Exists(target) && !parsed.GetValue(overwrite))
                throw new InvalidInputException($"--out {folder}: {outputFile} exists; pass --overwrite to replace it, or choose another --out");
            RunOutputs.Check([("--out", target), ("--save-tokens", parsed.GetValue(saveTokens))]);

            ExplainOption? explaining = ExplainOption.Read(parsed, explain, hasTokenizer: true,
                $"up to {options.Steps} VQ decodes per window generated (one per step)");
            TraceRecorder? recorder = explaining is null ? null : new TraceRecorder();
            using ComputeDevice device = models.OpenDevice(parsed);
            using ImagePipeline pipeline = choice.Open(device, PipelineParts.Both);
            var progress = new SynchronousProgress<WindowedCompletion.Window>(w =>
            {
                recorder?.EnterWindow(w.Index, w.Top, w.Left, choice.Arpg.GridSize);
                Console.Error.WriteLine(
                    $"window {w.Index}: rows {w.Top}..{w.Top + choice.Arpg.GridSize - 1}, columns {w.Left}..{w.Left + choice.Arpg.GridSize - 1}, {w.Known} known tokens");
            });
            EditResult result = edit(parsed, pipeline, input, label, options, progress, recorder?.Observer, cancel);

            PngFile.Write(target, result.Image, (ResolvedSampling.Record(choice, options) with { Class = label, Edit = name }).ToPngText());
            if (parsed.GetValue(saveTokens) is string tokensPath)
                new TokenFile([label], [result.Canvas.Tokens]).Write(tokensPath);
            Console.Error.WriteLine($"{result.Image.Width}x{result.Image.Height} written to {target} " +
                                    $"({result.Windows.Count} window(s) generated)");
            if (recorder is not null && result.Windows.Count > 0)
            {
                explaining!.Write(Path.GetFileNameWithoutExtension(outputFile), recorder.Trace(0, result.Canvas.Rows,
                    result.Canvas.Columns, result.Canvas.Tokens, result.InputKnown), pipeline.Tokenizer, label, 0);
                explaining.Report();
            }
            return CommandRunner.Ok;
        });
        return command;
    }
}
