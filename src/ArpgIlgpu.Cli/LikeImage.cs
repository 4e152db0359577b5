using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg generate --like IMAGE.png`: makes a picture again from the <see cref="ImageRecord"/> its
/// PNG carries. The record's model, precision, class, seed and sampling settings are written as the
/// options they came from, for every option the command line does not give itself, and the command
/// line is parsed again with them; so each recorded value is checked as a typed one would be, and an
/// option given explicitly (say --seed 5) wins. The image index comes from the record too, which
/// keys the random draws: the remake is image i of its original request, under the same name.
/// </summary>
internal static class LikeImage
{
    /// <summary>The --like option.</summary>
    public static Option<string?> CreateOption() => new("--like")
    {
        Description = "Remake a PNG written by generate or sample from the record it carries (model, class, image index, seed, " +
                      "every sampling setting); options given as well override the record's",
    };

    /// <summary>The record of the --like PNG, or null without --like; refuses edited pictures (they need their input).</summary>
    public static ImageRecord? Read(ParseResult parsed, Option<string?> like)
    {
        if (parsed.GetValue(like) is not string path)
            return null;
        ImageRecord record = ImageRecord.ReadPng(path);
        if (record.Edit is not null)
            throw new InvalidInputException($"--like {path}: made by {record.Edit} from another picture; --like remakes generated images");
        return record;
    }

    /// <summary>
    /// The command line parsed again with the record's values added for the options it does not
    /// give; says on stderr what was taken from the record.
    /// </summary>
    public static ParseResult Apply(ParseResult parsed, string path, ImageRecord record, ModelOptions models,
        SamplingOptions sampling, Option<string?> classes)
    {
        var extra = new List<string>();
        void Take(Option option, string value)
        {
            if (parsed.GetResult(option) is not { Implicit: false })
                extra.AddRange([option.Name, value]);
        }
        if (parsed.GetResult(models.Config) is not { Implicit: false })
            Take(models.Model, ModelName(path, record));
        if (record.WeightsKey is string key)
            Take(models.Weights, key);
        Take(models.Precision, record.Precision.ToString().ToLowerInvariant());
        Take(classes, ResolvedSampling.Number(record.Class));
        GenerationOptions o = record.Options;
        Take(sampling.Steps, ResolvedSampling.Number(o.Steps));
        Take(sampling.Cfg, ResolvedSampling.Number(o.Cfg));
        Take(sampling.CfgSchedule, SamplingOptions.Name(o.CfgSchedule));
        Take(sampling.Schedule, SamplingOptions.Name(o.Schedule));
        Take(sampling.Temperature, ResolvedSampling.Number(o.Sampling.Temperature));
        Take(sampling.TopK, ResolvedSampling.Number(o.Sampling.TopK));
        Take(sampling.TopP, ResolvedSampling.Number(o.Sampling.TopP));
        Take(sampling.Order, OrderText(o.Order));
        Take(sampling.Seed, ResolvedSampling.Number(o.Sampling.Seed));
        Console.Error.WriteLine($"like {path}: image {record.Index}, made by version {record.Version}; from its record: " +
                                string.Join(' ', extra.Select(ResolvedSampling.Shorten)));
        return parsed.RootCommandResult.Command.Parse([.. parsed.Tokens.Select(t => t.Value), .. extra]);
    }

    /// <summary>Warns when the weights differ from the record's (a remake with other weights is another picture).</summary>
    public static void CompareWeights(string path, ImageRecord record, ImageRecord now)
    {
        if (record.RandomWeightSeed != now.RandomWeightSeed)
            Console.Error.WriteLine($"warning: --like {path}: made with {Weights(record)}, now {Weights(now)}: the picture will differ");
        else if (record.TransformerDigest != now.TransformerDigest || record.TokenizerDigest != now.TokenizerDigest)
            Console.Error.WriteLine($"warning: --like {path}: made with checkpoints {Weights(record)}, these are {Weights(now)}: the picture will differ");
    }

    /// <summary>The --model value of the record: a preset or tiny-random; a config model needs --config given.</summary>
    private static string ModelName(string path, ImageRecord record)
    {
        if (record.Model == TinyRandom.Name || ArpgConfig.Presets.ContainsKey(record.Model))
            return record.Model;
        throw new InvalidInputException(
            $"--like {path}: made with the model '{record.Model}' ({Weights(record)}); give --config and its checkpoint options, --like takes the rest");
    }

    private static string Weights(ImageRecord r) => r.RandomWeightSeed is int seed
        ? $"random weights (seed {seed})"
        : $"transformer sha256 {r.TransformerDigest ?? "?"}..., tokenizer sha256 {r.TokenizerDigest ?? "none"}...";

    /// <summary>--order's value: random, the name of a fixed order it equals, or the positions as a JSON array.</summary>
    private static string OrderText(int[]? order)
    {
        if (order is null)
            return "random";
        int gridSize = (int)Math.Round(Math.Sqrt(order.Length));
        string? named = gridSize * gridSize == order.Length
            ? GenerationOrders.Names.Skip(1).FirstOrDefault(n => GenerationOrders.Fixed(n, gridSize).SequenceEqual(order))
            : null;
        return named ?? JsonSerializer.Serialize(order);
    }
}
