using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using System.Globalization;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The sampling settings a run resolved (the options given, the model's recommended values for the
/// rest), in the two forms a run leaves behind: the line it prints once, and the record each PNG
/// carries so that a picture says how it was made.
/// </summary>
internal static class ResolvedSampling
{
    /// <summary>
    /// "sampling: steps 64, cfg 7.5, cfg-schedule linear, schedule arccos, temperature 1, top-k 0,
    /// top-p 1, order random, seed 0 (ARPG-XXL's recommended settings, ...)"; <paramref name="given"/>
    /// names the options among steps, cfg and the schedules that the command line set.
    /// </summary>
    public static string Describe(string model, GenerationOptions options, IReadOnlyList<string> given)
    {
        string settings = string.Join(", ", Values(model, options).Skip(1).Select(kv => $"{kv.Key.Replace('_', '-')} {Shorten(kv.Value)}"));
        string source = RecommendedSampling.Presets.TryGetValue(model, out RecommendedSampling? r)
            ? string.Create(CultureInfo.InvariantCulture, $"{model}'s recommended settings from the official GETTING_STARTED.md, FID {r.Fid:0.00} there")
            : $"defaults for {model}";
        return $"sampling: {settings} ({source}" + (given.Count > 0 ? $"; given: {string.Join(", ", given)})" : ")");
    }

    /// <summary>
    /// The record each PNG of the run carries (<see cref="ImageRecord"/>), with class and index 0:
    /// set them per image (<c>record with { Class = c, Index = i }</c>). Reads the checkpoints once
    /// for their digests.
    /// </summary>
    public static ImageRecord Record(ModelChoice choice, GenerationOptions options) => new()
    {
        Model = choice.Name,
        RandomWeightSeed = choice.Random ? TinyRandom.WeightSeed : null,
        TransformerDigest = choice.ArpgCheckpoint is string arpg ? CheckpointDigest.Of(arpg) : null,
        TokenizerDigest = choice.VqCheckpoint is string vq ? CheckpointDigest.Of(vq) : null,
        WeightsKey = choice.WeightsKey,
        Precision = choice.Precision,
        Class = 0,
        Index = 0,
        Options = options,
    };

    private static IEnumerable<KeyValuePair<string, string>> Values(string model, GenerationOptions o)
    {
        yield return new("model", model);
        yield return new("steps", Number(o.Steps));
        yield return new("cfg", Number(o.Cfg));
        yield return new("cfg_schedule", SamplingOptions.Name(o.CfgSchedule));
        yield return new("schedule", SamplingOptions.Name(o.Schedule));
        yield return new("temperature", Number(o.Sampling.Temperature));
        yield return new("top_k", Number(o.Sampling.TopK));
        yield return new("top_p", Number(o.Sampling.TopP));
        yield return new("order", o.Order is null ? "random" : JsonSerializer.Serialize(o.Order));
        yield return new("seed", Number(o.Sampling.Seed));
    }

    // An explicit order is a list of every position: the printed line says only how long it is.
    internal static string Shorten(string value) => value.StartsWith('[') ? $"(given, {value.Count(c => c == ',') + 1} positions)" : value;

    internal static string Number<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
