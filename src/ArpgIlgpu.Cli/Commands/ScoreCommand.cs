using ArpgIlgpu.Generation;
using ArpgIlgpu.Runtime;
using System.CommandLine;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg score --tokens F.json [--orders F.json]` (or `--image IMAGE --class C`): the
/// teacher-forced mean cross-entropy of each image under the model (the training loss), one line
/// per image on stdout; `--heatmap DIR` also draws every token's loss over its picture.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var tokens = new Option<string?>("--tokens") { Description = "Tokens JSON with classes ({\"classes\": [...], \"tokens\": [[...], ...]})" };
        var image = new Option<string?>("--image") { Description = "Score this picture (PNG or JPEG of the model's size) instead of --tokens: it is encoded first" };
        var classLabel = new Option<int?>("--class") { Description = "The class --image is scored under" };
        var heatmap = new Option<string?>("--heatmap") { Description = "Also write, per image, a heatmap of every token's loss over the picture (and its values as JSON) into this folder" };
        var orders = new Option<string?>("--orders")
        {
            Description = "JSON array with one order (array of grid positions) per image; default: a random order per image from --seed",
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random orders", DefaultValueFactory = _ => 0UL };
        var batch = new Option<int>("--batch") { Description = "Images scored together", DefaultValueFactory = _ => 8 };
        var command = new Command("score", "Teacher-forced mean cross-entropy (nats per token) of each image");
        command.Options.Add(tokens);
        command.Options.Add(orders);
        command.Options.Add(seed);
        command.Options.Add(batch);
        foreach (Option o in new Option[] { image, classLabel, heatmap })
            command.Options.Add(o);
        models.AddTo(command, transformer: true, tokenizer: true);
        command.SetAction(async (parsed, cancel) =>
        {
            string? tokensPath = parsed.GetValue(tokens), imagePath = parsed.GetValue(image), heatmapPath = parsed.GetValue(heatmap);
            if ((tokensPath is null) == (imagePath is null))
                throw new InvalidInputException("score: give either --tokens or --image");
            bool needsTokenizer = imagePath is not null || heatmapPath is not null;
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: true, tokenizer: needsTokenizer, cancel);
            using ComputeDevice device = models.OpenDevice(parsed);
            using ImagePipeline pipeline = choice.Open(device, needsTokenizer ? PipelineParts.Both : PipelineParts.Transformer);
            TokenFile file = tokensPath is not null ? TokenFile.Read(tokensPath) : ScoreInputs.Encode(imagePath!, parsed.GetValue(classLabel), pipeline);
            if (file.Classes is null)
                throw new InvalidInputException($"--tokens {tokensPath}: scoring needs \"classes\", one per image");
            string? heatmapFolder = heatmapPath is null ? null : OutputFolder.Prepare(heatmapPath);
            IReadOnlyList<int[]> imageOrders = parsed.GetValue(orders) is string ordersPath
                ? ReadOrders(ordersPath, file.Tokens.Count)
                : RandomOrder.PerImage(choice.Arpg.BlockSize, file.Tokens.Count, parsed.GetValue(seed));

            int batchSize = parsed.GetValue(batch);
            if (batchSize < 1)
                throw new InvalidInputException($"--batch {batchSize}: must be at least 1");
            // every input checked against the model before the first batch, the errors naming the files
            string source = tokensPath is not null ? $"--tokens {tokensPath}" : $"--image {imagePath}";
            TokenChecks.RequireCanvas(choice.Arpg, file.Tokens, source);
            TokenChecks.RequireClasses(choice.Arpg, file.Classes, $"{source}: \"classes\"");
            string ordersSource = parsed.GetValue(orders) is string o ? $"--orders {o}" : "the random orders";
            foreach (int[] order in imageOrders)
                GenerationOrders.RequirePermutation(order, choice.Arpg.BlockSize, ordersSource);

            var tokenLosses = new List<double[]>(file.Tokens.Count);
            for (int start = 0; start < file.Tokens.Count; start += batchSize)
            {
                int end = Math.Min(file.Tokens.Count, start + batchSize);
                ScoreResult result = pipeline.Score(file.Tokens.Take(start..end).ToArray(), file.Classes.Take(start..end).ToArray(),
                    imageOrders.Take(start..end).ToArray(), cancel: cancel);
                for (int i = 0; i < result.CrossEntropy.Length; i++)
                    Console.WriteLine($"{start + i}\tclass {file.Classes[start + i]}\t{result.CrossEntropy[i]:F6}");
                tokenLosses.AddRange(result.TokenLosses);
            }
            if (heatmapFolder is not null)
                ScoreInputs.WriteHeatmaps(heatmapFolder, file, tokenLosses, pipeline);
            return CommandRunner.Ok;
        });
        return command;
    }

    private static int[][] ReadOrders(string path, int images)
    {
        ReadOnlyMemory<byte> text = InputFile.ReadUtf8(path, 64L << 20, "orders");
        try
        {
            int[][] orders = JsonSerializer.Deserialize<int[][]>(text.Span)
                             ?? throw new InvalidInputException($"--orders {path}: expected an array of orders");
            if (orders.Length != images || orders.Any(o => o is null))
                throw new InvalidInputException($"--orders {path}: {orders.Length} orders for {images} images");
            return orders;
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"--orders {path}: expected a JSON array of arrays of grid positions ({e.Message})", e);
        }
    }
}
