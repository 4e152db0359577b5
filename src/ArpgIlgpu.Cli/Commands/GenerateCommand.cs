using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;
using System.Diagnostics;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg generate --classes 207,360`: the main job. Generates token grids with ARPG's parallel
/// decoder, batch by batch, decodes them with the VQ tokenizer and writes one PNG per image
/// ({index:D4}_class{c}.png), plus a grid with --grid and the tokens with --save-tokens.
/// A batch's pictures appear together (temp files renamed at the end), so an interrupted run
/// leaves only complete images.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var sampling = new SamplingOptions();
        var classes = new Option<string>("--classes")
        {
            Description = "Comma-separated class labels, one image each (ImageNet: 0..999, e.g. 207 = golden retriever)",
            Required = true,
        };
        var batch = new Option<int>("--batch") { Description = "Images generated together (default: all, at most 32)" };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs (created if missing)", DefaultValueFactory = _ => "out" };
        var grid = new Option<bool>("--grid") { Description = "Also write grid.png with every image" };
        var saveTokens = new Option<string?>("--save-tokens") { Description = "Write the tokens as JSON: {\"classes\": [...], \"tokens\": [[...], ...]}" };

        var command = new Command("generate", "Generate images of the given classes");
        command.Options.Add(classes);
        models.AddTo(command, transformer: true, tokenizer: true);
        sampling.AddTo(command);
        foreach (Option o in new Option[] { batch, output, grid, saveTokens })
            command.Options.Add(o);

        command.SetAction(async (parsed, cancel) =>
        {
            int[] labels = ClassList.Parse(parsed.GetValue(classes)!);
            string? tokensPath = parsed.GetValue(saveTokens);
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: true, tokenizer: true, cancel,
                tokenizerOptionalWithConfig: tokensPath is not null);
            GenerationOptions options = sampling.Read(parsed, choice.Arpg.GridSize);
            TokenChecks.RequireClasses(choice.Arpg, labels);
            int batchSize = parsed.GetValue(batch) is int b and not 0 ? b : Math.Min(labels.Length, 32);
            if (batchSize < 1)
                throw new InvalidInputException($"--batch {batchSize}: must be at least 1");
            bool pictures = choice.Random || choice.VqCheckpoint is not null;
            string? folder = pictures ? OutputFolder.Prepare(parsed.GetValue(output)!) : null;
            if (!pictures)
                Console.Error.WriteLine("note: no --vq-checkpoint with --config: writing tokens only");

            using ComputeDevice device = models.OpenDevice(parsed);
            using ArpgTransformer transformer = LoadTransformer(device, choice);
            using VqModel? tokenizer = pictures ? LoadTokenizer(device, choice) : null;
            if (choice.Random)
                Console.Error.WriteLine($"note: {TinyRandom.Name} has random weights: the pictures are noise");

            var decoder = new ParallelDecoder(transformer);
            var allTokens = new List<int[]>();
            var allPictures = new List<RgbImage>();
            var clock = Stopwatch.StartNew();
            for (int start = 0; start < labels.Length; start += batchSize)
            {
                int[] chunk = labels[start..Math.Min(labels.Length, start + batchSize)];
                int[] indices = Enumerable.Range(start, chunk.Length).ToArray();
                int[][] tokens = decoder.Generate(chunk, options, indices,
                    new StepProgressPrinter($"images {start}..{start + chunk.Length - 1}"), cancel);
                allTokens.AddRange(tokens);
                if (tokenizer is null)
                    continue;
                RgbImage[] images = TokenPictures.Decode(tokenizer, tokens);
                using var files = new PngBatch();
                for (int i = 0; i < images.Length; i++)
                    files.Add(Path.Combine(folder!, OutputFolder.ImageName(start + i, chunk[i])), images[i]);
                files.Commit();
                allPictures.AddRange(images);
            }
            if (parsed.GetValue(grid) && folder is not null)
                PngFile.Write(Path.Combine(folder, "grid.png"),
                    ImageGrid.Combine(allPictures, (int)Math.Ceiling(Math.Sqrt(allPictures.Count))));
            if (tokensPath is not null)
                new TokenFile(labels, allTokens).Write(tokensPath);
            Console.Error.WriteLine(
                $"{labels.Length} image(s) in {clock.Elapsed.TotalSeconds:F1} s" + (folder is null ? "" : $", written to {folder}"));
            return CommandRunner.Ok;
        });
        return command;
    }

    /// <summary>The transformer: random for tiny-random, else from its checkpoint.</summary>
    internal static ArpgTransformer LoadTransformer(ComputeDevice device, ModelChoice choice)
    {
        if (choice.Random)
            return ArpgTransformer.CreateRandom(device, choice.Arpg, TinyRandom.WeightSeed, choice.Precision);
        using StateDict weights = StateDict.Open(choice.ArpgCheckpoint!);
        return ArpgTransformer.Load(device, choice.Arpg, weights, choice.Precision);
    }

    /// <summary>The tokenizer: random for tiny-random, else from its checkpoint.</summary>
    internal static VqModel LoadTokenizer(ComputeDevice device, ModelChoice choice)
    {
        if (choice.Random)
            return VqModel.CreateRandom(device, choice.Vq, TinyRandom.WeightSeed);
        using StateDict weights = StateDict.Open(choice.VqCheckpoint!);
        return VqModel.Load(device, choice.Vq, weights);
    }
}
