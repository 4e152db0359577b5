using ArpgIlgpu.Generation;
using System.CommandLine;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The decoding options shared by generate, sample and the editing commands (docs/ARCHITECTURE.md's command
/// line contract), turned into a validated <see cref="GenerationOptions"/>.
/// </summary>
internal sealed class SamplingOptions
{
    public Option<int> Steps { get; } = new("--steps") { Description = "Decoding steps (1..L)", DefaultValueFactory = _ => 64 };
    public Option<float> Cfg { get; } = new("--cfg") { Description = "Classifier-free guidance scale", DefaultValueFactory = _ => 4f };
    public Option<string> CfgSchedule { get; } = new("--cfg-schedule") { Description = "constant or linear", DefaultValueFactory = _ => "linear" };
    public Option<string> Schedule { get; } = new("--schedule") { Description = "Tokens per step: arccos or cosine", DefaultValueFactory = _ => "arccos" };
    public Option<float> Temperature { get; } = new("--temperature") { Description = "Softmax temperature; 0 = argmax", DefaultValueFactory = _ => 1f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling: keep tokens up to this probability mass (1: all)", DefaultValueFactory = _ => 1f };
    public Option<string> Order { get; } = new("--order")
    {
        Description = $"Generation order: {string.Join(", ", GenerationOrders.Names)}, or a JSON file with an array of grid positions",
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

    /// <summary>The options for a g x g grid; every value checked, errors naming the option.</summary>
    public GenerationOptions Read(ParseResult parsed, int gridSize)
    {
        float temperature = parsed.GetValue(Temperature), topP = parsed.GetValue(TopP);
        if (!float.IsFinite(temperature))
            throw new InvalidInputException($"--temperature {temperature}: must be a finite number >= 0");
        if (!float.IsFinite(topP))
            throw new InvalidInputException($"--top-p {topP}: must be in (0, 1]");
        var options = new GenerationOptions
        {
            Steps = parsed.GetValue(Steps),
            Cfg = parsed.GetValue(Cfg),
            CfgSchedule = parsed.GetValue(CfgSchedule) == "constant" ? Generation.CfgSchedule.Constant : Generation.CfgSchedule.Linear,
            Schedule = parsed.GetValue(Schedule) == "cosine" ? SampleSchedule.Cosine : SampleSchedule.Arccos,
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
        return options;
    }

    /// <summary>A named order, a JSON file of positions, or null for random (drawn from the seed).</summary>
    private static int[]? ReadOrder(string value, int gridSize)
    {
        if (value == "random")
            return null;
        if (GenerationOrders.Names.Contains(value))
            return GenerationOrders.Fixed(value, gridSize);
        if (!File.Exists(value))
            throw new InvalidInputException(
                $"--order '{value}': not one of {string.Join(", ", GenerationOrders.Names)} and no such file");
        try
        {
            if (new FileInfo(value).Length > 1 << 20)
                throw new InvalidInputException($"--order {value}: larger than 1 MiB; an order is a list of grid positions");
            return JsonSerializer.Deserialize<int[]>(File.ReadAllText(value))
                   ?? throw new InvalidInputException($"--order {value}: expected a JSON array of grid positions");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"--order {value}: expected a JSON array of grid positions ({e.Message})", e);
        }
    }
}
