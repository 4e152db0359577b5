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
        var command = new Command("score", "Teacher-forced mean cross-entropy (nats per token) of each image");
        command.Options.Add(tokens);
        command.Options.Add(orders);
        command.Options.Add(seed);
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

            using ComputeDevice device = models.OpenDevice(parsed);
            using ArpgTransformer transformer = GenerateCommand.LoadTransformer(device, choice);
            ScoreResult result = TeacherForcedScorer.Score(transformer, file.Tokens, file.Classes, imageOrders);
            for (int i = 0; i < result.CrossEntropy.Length; i++)
                Console.WriteLine($"{i}\tclass {file.Classes[i]}\t{result.CrossEntropy[i]:F6}");
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
