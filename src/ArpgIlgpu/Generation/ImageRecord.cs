using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArpgIlgpu.Generation;

/// <summary>
/// How one picture was made: everything its pixels depend on (the models and their weights, the
/// class, the image's index in its request, which keys its random draws, every sampling setting,
/// the precision), so that it can be made again. Each PNG the library writes for a generated
/// image carries it as one tEXt chunk, keyword <see cref="PngKeyword"/>, holding a JSON object
/// (<see cref="ToJson"/>; <see cref="Parse"/> and <see cref="ReadPng"/> read it back). The same
/// record on the same device and kernels gives the same pixels; other devices round differently
/// and may draw a different token now and then.
/// </summary>
public sealed record ImageRecord
{
    /// <summary>The keyword of the PNG tEXt chunk that holds the record.</summary>
    public const string PngKeyword = "arpg";

    /// <summary>The longest record read: a 64 x 64 grid's order (4096 positions) fits many times over.</summary>
    private const int MaxJsonLength = 1 << 20;

    /// <summary>The model as its maker named it: a preset (ARPG-L), or a description of the config its shapes came from.</summary>
    public required string Model { get; init; }

    /// <summary>
    /// The seed the weights were drawn from when they are random (no checkpoint: benchmarks,
    /// demos); null when they were loaded from checkpoints.
    /// </summary>
    public int? RandomWeightSeed { get; init; }

    /// <summary>The start of the transformer checkpoint's SHA-256 (<see cref="Checkpoints.CheckpointDigest"/>), or null with random weights.</summary>
    public string? TransformerDigest { get; init; }

    /// <summary>The start of the tokenizer checkpoint's SHA-256, or null with random weights.</summary>
    public string? TokenizerDigest { get; init; }

    /// <summary>The state-dict key the transformer's weights were read from in a .pt file, or null for the default.</summary>
    public string? WeightsKey { get; init; }

    /// <summary>Storage of the transformer's weights and KV caches.</summary>
    public Precision Precision { get; init; }

    /// <summary>The class label.</summary>
    public required int Class { get; init; }

    /// <summary>The image's index in its request: with the seed it keys every random draw of the image.</summary>
    public required int Index { get; init; }

    /// <summary>Steps, guidance and its schedule, the token schedule, sampling settings, seed and order.</summary>
    public required GenerationOptions Options { get; init; }

    /// <summary>The edit that made the picture from another (inpaint, outpaint, expand), or null for a generated image.</summary>
    public string? Edit { get; init; }

    /// <summary>The version of the library that made it.</summary>
    public string Version { get; init; } = LibraryVersion;

    /// <summary>This library's version (its informational version, e.g. 0.2.0).</summary>
    public static string LibraryVersion { get; } =
        typeof(ImageRecord).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The record as PNG text chunks (keyword: value), for <see cref="Imaging.PngFile.Write"/>.</summary>
    public IReadOnlyDictionary<string, string> ToPngText() => new Dictionary<string, string> { [PngKeyword] = ToJson() };

    /// <summary>
    /// The record as one line of JSON (ASCII), fields in a fixed order; numbers are written so that
    /// they parse back to the same float; the class's ImageNet name is added for people reading it.
    /// </summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["model"] = Model,
            ["random_weight_seed"] = RandomWeightSeed,
            ["transformer_sha256"] = TransformerDigest,
            ["tokenizer_sha256"] = TokenizerDigest,
            ["weights_key"] = WeightsKey,
            ["precision"] = Precision.ToString().ToLowerInvariant(),
            ["class"] = Class,
            ["class_name"] = ImageNetClasses.TryGet(Class, out ImageNetClass? named) ? named.Name : null,
            ["index"] = Index,
        };
        foreach ((string key, JsonNode? value) in SettingsJson(Options))
            json[key] = value?.DeepClone();
        json["edit"] = Edit;
        json["version"] = Version;
        foreach (string empty in json.Where(p => p.Value is null).Select(p => p.Key).ToArray())
            json.Remove(empty);
        return json.ToJsonString();
    }

    /// <summary>
    /// The settings of <paramref name="options"/> as JSON fields: seed, steps, cfg, cfg_schedule,
    /// schedule, temperature, top_k, top_p and order ("random" or the positions), as the record
    /// and a sample folder's settings file write them.
    /// </summary>
    public static JsonObject SettingsJson(GenerationOptions options) => new()
    {
        ["seed"] = options.Sampling.Seed,
        ["steps"] = options.Steps,
        ["cfg"] = options.Cfg,
        ["cfg_schedule"] = options.CfgSchedule.ToString().ToLowerInvariant(),
        ["schedule"] = options.Schedule.ToString().ToLowerInvariant(),
        ["temperature"] = options.Sampling.Temperature,
        ["top_k"] = options.Sampling.TopK,
        ["top_p"] = options.Sampling.TopP,
        ["order"] = options.Order is null ? "random" : new JsonArray([.. options.Order.Select(p => (JsonNode)p)]),
    };

    /// <summary>Reads a record written by <see cref="ToJson"/>; errors name <paramref name="source"/> and the field.</summary>
    public static ImageRecord Parse(string json, string source)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{source}: the generation record is not JSON ({e.Message})", e);
        }
        var f = new JsonFields(root, $"{source}: generation record");
        // read as float, not double then float: the shortest text of a float parses back to that float
        float Float(string name)
        {
            _ = f.Double(name); // present and a finite number
            return root.GetProperty(name).GetSingle();
        }
        string? Optional(string name) => root.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? f.String(name) : null;
        return new ImageRecord
        {
            Model = f.String("model"),
            RandomWeightSeed = root.TryGetProperty("random_weight_seed", out _) ? f.Int("random_weight_seed") : null,
            TransformerDigest = Optional("transformer_sha256"),
            TokenizerDigest = Optional("tokenizer_sha256"),
            WeightsKey = Optional("weights_key"),
            Precision = Choice<Precision>(f, "precision"),
            Class = f.Int("class"),
            Index = f.Int("index"),
            Options = new GenerationOptions
            {
                Steps = f.Int("steps"),
                Cfg = Float("cfg"),
                CfgSchedule = Choice<CfgSchedule>(f, "cfg_schedule"),
                Schedule = Choice<SampleSchedule>(f, "schedule"),
                Sampling = new SamplingSettings
                {
                    Seed = root.TryGetProperty("seed", out JsonElement seed) && seed.TryGetUInt64(out ulong s)
                        ? s
                        : throw new InvalidInputException($"{source}: generation record: field \"seed\" must be an integer 0..2^64-1"),
                    Temperature = Float("temperature"),
                    TopK = f.Int("top_k"),
                    TopP = Float("top_p"),
                },
                Order = root.TryGetProperty("order", out JsonElement order) && order.ValueKind == JsonValueKind.String && order.GetString() == "random"
                    ? null
                    : f.IntArray("order"),
            },
            Edit = Optional("edit"),
            Version = f.String("version"),
        };
    }

    /// <summary>
    /// The record of the PNG at <paramref name="path"/> (read from its metadata, the pixels are
    /// not decoded); throws <see cref="InvalidInputException"/> naming the file when it is not a
    /// PNG or carries no record.
    /// </summary>
    public static ImageRecord ReadPng(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"{path}: no such file");
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(path, out format);
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{path}: cannot read it as an image ({e.Message})", e);
        }
        if (info is null || format is not PngFormat)
            throw new InvalidInputException($"{path}: not a PNG; only the PNGs this library writes carry a generation record");
        PngTextData[] chunks = info.Metadata.GetPngMetadata().TextData.Where(t => t.Keyword == PngKeyword).ToArray();
        if (chunks.Length == 0)
            throw new InvalidInputException($"{path}: no generation record (a tEXt chunk '{PngKeyword}'); it was not made by this library");
        if (chunks[0].Value.Length > MaxJsonLength)
            throw new InvalidInputException($"{path}: the generation record is longer than {MaxJsonLength} characters; a record is a few hundred");
        return Parse(chunks[0].Value, path);
    }

    /// <summary>A lower-case enum name field ("linear", "fp16").</summary>
    private static T Choice<T>(JsonFields f, string name) where T : struct, Enum
    {
        string value = f.String(name);
        return Enum.TryParse(value, ignoreCase: true, out T parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _)
            ? parsed
            : throw new InvalidInputException(
                $"{f.Source}: field \"{name}\" must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}, found \"{value}\"");
    }
}
