using ArpgIlgpu.Generation;
using ArpgIlgpu.Generation.Explain;
using ArpgIlgpu.Imaging;
using System.CommandLine;
using System.Diagnostics;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg generate --classes 207,360`: the main job. Generates token grids with ARPG's parallel
/// decoder, batch by batch, decodes them with the VQ tokenizer and writes one PNG per image
/// ({index:D4}_{c}_{name}.png, each carrying its <see cref="ImageRecord"/>), plus a grid with --grid
/// and the tokens with --save-tokens; --like IMAGE.png makes a recorded picture again (<see cref="LikeImage"/>).
/// A batch's pictures appear together (temp files renamed at the end), so an interrupted run
/// leaves only complete images. With several devices (--device cuda:0,cuda:1) each batch is
/// split across them (<see cref="DeviceGroup"/>); the images are the same as on one.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var sampling = new SamplingOptions();
        var classes = new Option<string?>("--classes")
        {
            Description = "Comma-separated classes, one image each: ImageNet names or numbers (\"golden retriever,volcano,207\"; see `arpg classes`); required unless --like",
        };
        var batch = new Option<int?>("--batch") { Description = "Images generated together (default: all, at most 32)" };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs (created if missing)", DefaultValueFactory = _ => "out" };
        var grid = new Option<bool>("--grid") { Description = "Also write grid.png with every image" };
        var saveTokens = new Option<string?>("--save-tokens") { Description = "Write the tokens as JSON: {\"classes\": [...], \"tokens\": [[...], ...]}" };
        var explain = ExplainOption.Create();
        Option<string?> like = LikeImage.CreateOption();

        var command = new Command("generate", "Generate images of the given classes");
        command.Options.Add(classes);
        models.AddTo(command, transformer: true, tokenizer: true);
        sampling.AddTo(command);
        foreach (Option o in new Option[] { batch, output, grid, saveTokens, explain, like })
            command.Options.Add(o);

        command.SetAction(async (parsed, cancel) =>
        {
            // System.CommandLine installs its Ctrl-C handler only once the action first yields
            await Task.Yield();
            ImageRecord? likeRecord = LikeImage.Read(parsed, like);
            if (likeRecord is not null)
                parsed = LikeImage.Apply(parsed, parsed.GetValue(like)!, likeRecord, models, sampling, classes);
            int[] labels = ClassList.Parse(parsed.GetValue(classes)
                ?? throw new InvalidInputException("--classes: required (class names or numbers), unless --like IMAGE.png gives the class"));
            string? tokensPath = parsed.GetValue(saveTokens);
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: true, tokenizer: true, cancel,
                tokenizerOptionalWithConfig: tokensPath is not null);
            GenerationOptions options = sampling.Read(parsed, choice);
            TokenChecks.RequireClasses(choice.Arpg, labels);
            int batchSize = parsed.GetValue(batch) ?? Math.Min(labels.Length, 32);
            if (batchSize < 1)
                throw new InvalidInputException($"--batch {batchSize}: must be at least 1");
            bool pictures = choice.Random || choice.VqCheckpoint is not null;
            string? folder = pictures ? OutputFolder.Prepare(parsed.GetValue(output)!) : null;
            if (!pictures)
                Console.Error.WriteLine("note: no --vq-checkpoint with --config: writing tokens only");

            ImageRecord? record = folder is null ? null : ResolvedSampling.Record(choice, options);
            if (likeRecord is not null && record is not null)
                LikeImage.CompareWeights(parsed.GetValue(like)!, likeRecord, record);
            // image i of the request; --like remakes image i of the original one
            int first = likeRecord?.Index ?? 0;
            bool withGrid = parsed.GetValue(grid);
            RunOutputs.Check(labels.Select((label, i) => ("--out", folder is null ? null : Path.Combine(folder, OutputFolder.ImageName(first + i, label))))
                .Append(("--grid", withGrid && folder is not null ? Path.Combine(folder, "grid.png") : null))
                .Append(("--save-tokens", tokensPath)));
            ExplainOption? explaining = ExplainOption.Read(parsed, explain, pictures,
                $"up to {(long)labels.Length * options.Steps} VQ decodes (one per step per image)");
            using DeviceGroup devices = DeviceGroup.Open(models, parsed, choice, pictures);
            using ProgressDisplay display = ProgressDisplay.OnStderr();
            var generated = new List<GeneratedImage>();
            var clock = Stopwatch.StartNew();
            // with several batches, a bar over all of them too
            using (ProgressBar? overall = labels.Length > batchSize ? display.Start("generate", labels.Length, "images") : null)
            {
                for (int start = 0; start < labels.Length; start += batchSize)
                {
                    cancel.ThrowIfCancellationRequested();
                    int[] chunk = labels[start..Math.Min(labels.Length, start + batchSize)];
                    TraceRecorder? recorder = explaining is null ? null : new TraceRecorder();
                    int[] indices = Enumerable.Range(first + start, chunk.Length).ToArray();
                    GeneratedImage[] images = devices.Generate(chunk, indices, options, display, cancel, recorder?.Observer);
                    for (int i = 0; recorder is not null && i < chunk.Length; i++)
                        explaining!.Write(Path.GetFileNameWithoutExtension(OutputFolder.ImageName(indices[i], chunk[i])),
                            recorder.Trace(indices[i], choice.Arpg.GridSize), devices.FirstTokenizer(), chunk[i], indices[i]);
                    if (record is not null)
                        PngBatch.WriteAll(images.Select((image, i) =>
                            (Path.Combine(folder!, OutputFolder.ImageName(indices[i], chunk[i])), image.Picture!,
                             (record with { Class = chunk[i], Index = indices[i] }).ToPngText())));
                    // pictures stay in memory only for the grid
                    generated.AddRange(withGrid ? images : images.Select(image => image with { Picture = null }));
                    overall?.Report(start + chunk.Length);
                }
            }
            RgbImage[] allPictures = generated.Select(g => g.Picture).OfType<RgbImage>().ToArray();
            if (withGrid && folder is not null)
                PngFile.Write(Path.Combine(folder, "grid.png"),
                    ImageGrid.Combine(allPictures, (int)Math.Ceiling(Math.Sqrt(allPictures.Length))));
            if (tokensPath is not null)
                new TokenFile(labels, generated.Select(g => g.Tokens).ToList()).Write(tokensPath);
            explaining?.Report();
            Console.Error.WriteLine(
                $"{labels.Length} image(s) in {clock.Elapsed.TotalSeconds:F1} s" + (folder is null ? "" : $", written to {folder}"));
            return CommandRunner.Ok;
        });
        return command;
    }
}
