using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg score --tokens F.json [--orders F.json]`: the teacher-forced mean cross-entropy of each
/// image under the model (the training loss), one line per image on stdout.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var tokens = new Option<string>("--tokens") { Description = "Tokens JSON with classes ({\"classes\": [...], \"tokens\": [[...], ...]})", Required = true };
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
        models.AddTo(command, transformer: true, tokenizer: false);
        command.SetAction(async (parsed, cancel) =>
        {
            string tokensPath = parsed.GetValue(tokens)!;
            TokenFile file = TokenFile.Read(tokensPath);
            if (file.Classes is null)
                throw new InvalidInputException($"--tokens {tokensPath}: scoring needs \"classes\", one per image");
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: true, tokenizer: false, cancel);
            int length = choice.Arpg.BlockSize;
            IReadOnlyList<int[]> imageOrders = parsed.GetValue(orders) is string ordersPath
                ? ReadOrders(ordersPath, file.Tokens.Count)
                : Enumerable.Range(0, file.Tokens.Count)
                    .Select(i => RandomOrder.Draw(length, parsed.GetValue(seed) + (ulong)i)).ToArray();

            int batchSize = parsed.GetValue(batch);
            if (batchSize < 1)
                throw new InvalidInputException($"--batch {batchSize}: must be at least 1");
            // every input checked against the model before the first batch, the errors naming the files
            TokenChecks.RequireCanvas(choice.Arpg, file.Tokens, $"--tokens {tokensPath}");
            TokenChecks.RequireClasses(choice.Arpg, file.Classes, $"--tokens {tokensPath}: \"classes\"");
            string ordersSource = parsed.GetValue(orders) is string o ? $"--orders {o}" : "the random orders";
            foreach (int[] order in imageOrders)
                GenerationOrders.RequirePermutation(order, length, ordersSource);

            using ComputeDevice device = models.OpenDevice(parsed);
            using ArpgTransformer transformer = GenerateCommand.LoadTransformer(device, choice);
            for (int start = 0; start < file.Tokens.Count; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                int end = Math.Min(file.Tokens.Count, start + batchSize);
                ScoreResult result = TeacherForcedScorer.Score(transformer, file.Tokens.Take(start..end).ToArray(),
                    file.Classes.Take(start..end).ToArray(), imageOrders.Take(start..end).ToArray());
                for (int i = 0; i < result.CrossEntropy.Length; i++)
                    Console.WriteLine($"{start + i}\tclass {file.Classes[start + i]}\t{result.CrossEntropy[i]:F6}");
            }
            return CommandRunner.Ok;
        });
        return command;
    }

    private static int[][] ReadOrders(string path, int images)
    {
        ReadOnlyMemory<byte> text = InputFile.ReadUtf8(path, 64L << 20, $"--orders {path}");
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
