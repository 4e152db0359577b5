using System.Text;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The decoding options shared by generate, sample and the editing commands (docs/ARCHITECTURE.md's command
/// line contract), turned into a validated <see cref="GenerationOptions"/>. Steps, guidance and the two
/// schedules default to the model's <see cref="RecommendedSampling"/> (the settings the authors
/// published their FIDs with), so a plain `arpg generate --model ARPG-XXL` samples as they did.
/// </summary>
internal sealed class SamplingOptions
{
    public Option<int?> Steps { get; } = new("--steps") { Description = "Decoding steps (1..L); " + Recommended(r => $"{r.Steps}") };
    public Option<float?> Cfg { get; } = new("--cfg") { Description = "Classifier-free guidance scale; " + Recommended(r => r.Cfg.ToString("0.0", CultureInfo.InvariantCulture)) };
    public Option<string> CfgSchedule { get; } = new("--cfg-schedule") { Description = "constant or linear; " + Recommended(r => Name(r.CfgSchedule)) };
    public Option<string> Schedule { get; } = new("--schedule") { Description = "Tokens per step: arccos or cosine; " + Recommended(r => Name(r.Schedule)) };
    public Option<float> Temperature { get; } = new("--temperature") { Description = "Softmax temperature; 0 = argmax", DefaultValueFactory = _ => 1f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling: keep tokens up to this probability mass (1: all)", DefaultValueFactory = _ => 1f };
    public Option<string> Order { get; } = new("--order")
    {
        Description = $"Generation order: {string.Join(", ", GenerationOrders.Names)}, a JSON array of grid positions, or a file holding one",
        DefaultValueFactory = _ => "random",
    };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Random seed: the same seed and settings give the same images", DefaultValueFactory = _ => 0UL };

    public SamplingOptions()
    {
        OptionChoices.Restrict(CfgSchedule, "constant", "linear");
        OptionChoices.Restrict(Schedule, "arccos", "cosine");
    }

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Steps, Cfg, CfgSchedule, Schedule, Temperature, TopK, TopP, Order, Seed })
            command.Options.Add(o);
    }

    /// <summary>
    /// The options for the chosen model, every value checked (errors naming the option); the
    /// settings not given are the model's recommended ones. Says on stderr what was resolved.
    /// </summary>
    public GenerationOptions Read(ParseResult parsed, ModelChoice choice)
    {
        int gridSize = choice.Arpg.GridSize;
        RecommendedSampling recommended = RecommendedSampling.For(choice.Name);
        float temperature = parsed.GetValue(Temperature), topP = parsed.GetValue(TopP);
        var options = new GenerationOptions
        {
            Steps = parsed.GetValue(Steps) ?? recommended.Steps,
            Cfg = parsed.GetValue(Cfg) ?? recommended.Cfg,
            CfgSchedule = parsed.GetValue(CfgSchedule) is string cfgSchedule
                ? cfgSchedule == "constant" ? Generation.CfgSchedule.Constant : Generation.CfgSchedule.Linear
                : recommended.CfgSchedule,
            Schedule = parsed.GetValue(Schedule) is string schedule
                ? schedule == "cosine" ? SampleSchedule.Cosine : SampleSchedule.Arccos
                : recommended.Schedule,
            Sampling = new SamplingSettings
            {
                Temperature = temperature,
                TopK = parsed.GetValue(TopK),
                TopP = topP,
                Seed = parsed.GetValue(Seed),
            },
            Order = ReadOrder(parsed.GetValue(Order)!, gridSize),
        };
        options.Validate(gridSize * gridSize);
        string[] given = new Option[] { Steps, Cfg, CfgSchedule, Schedule }
            .Where(o => parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
        Console.Error.WriteLine(ResolvedSampling.Describe(choice.Name, options, given));
        return options;
    }

    /// <summary>"default: the model's recommended value (ARPG-L 5.0, ARPG-XL 6.0, ARPG-XXL 7.5), 4 for other models".</summary>
    private static string Recommended(Func<RecommendedSampling, string> value)
    {
        string[] presets = RecommendedSampling.Presets.Select(p => value(p.Value)).ToArray();
        string others = value(RecommendedSampling.Default);
        string byModel = presets.All(v => v == others)
            ? others
            : string.Join(", ", RecommendedSampling.Presets.Keys.Zip(presets, (model, v) => $"{model} {v}"));
        return $"default: the model's recommended value ({byModel})" + (byModel == others ? "" : $", {others} for other models");
    }

    /// <summary>The command-line spelling of a schedule ("linear", "arccos").</summary>
    internal static string Name<T>(T schedule) where T : struct, Enum => schedule.ToString().ToLowerInvariant();

    /// <summary>A named order, a JSON array of positions (given, or in a file), or null for random (drawn from the seed).</summary>
    private static int[]? ReadOrder(string value, int gridSize)
    {
        if (value == "random")
            return null;
        if (GenerationOrders.Names.Contains(value))
            return GenerationOrders.Fixed(value, gridSize);
        bool inline = value.StartsWith('[');
        if (!inline && FileKinds.Of(value) == FileKind.Missing)
            throw new InvalidInputException(
                $"--order '{value}': not one of {string.Join(", ", GenerationOrders.Names)}, no JSON array and no such file");
        ReadOnlyMemory<byte> text = inline ? Encoding.UTF8.GetBytes(value) : InputFile.ReadUtf8(value, 1 << 20, nameof(GenerationOptions.Order));
        try
        {
            return JsonSerializer.Deserialize<int[]>(text.Span)
                   ?? throw new InvalidInputException($"--order {value}: expected a JSON array of grid positions");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"--order {value}: expected a JSON array of grid positions ({e.Message})", e);
        }
    }
}
