using ArpgIlgpu.Generation;

namespace ArpgIlgpu.Models;

/// <summary>
/// The sampling settings a model is meant to be run with: for the released presets, those the
/// official repository's GETTING_STARTED.md gives to reproduce its FIDs on ImageNet 256x256
/// (64 steps, arccos schedule, linear guidance schedule, temperature 1; the unlisted settings are
/// sample_c2i_ddp.py's defaults). Its README's model table reports slightly higher FIDs with the
/// cosine schedule (CFG 4.5 / 6.0 / 7.5); GETTING_STARTED.md notes that arccos does better.
/// </summary>
/// <param name="Steps">Decoding steps.</param>
/// <param name="Cfg">Classifier-free guidance scale.</param>
/// <param name="CfgSchedule">How the guidance scale evolves over the steps.</param>
/// <param name="Schedule">How many tokens each step predicts.</param>
/// <param name="Fid">The FID the official repository reports with these settings (50,000 images, ADM suite), or null.</param>
public sealed record RecommendedSampling(int Steps, float Cfg, CfgSchedule CfgSchedule, SampleSchedule Schedule, double? Fid)
{
    /// <summary>
    /// For models without published settings (tiny-random, a config file's shapes): the defaults of
    /// <see cref="GenerationOptions"/>.
    /// </summary>
    public static RecommendedSampling Default { get; } = FromOptions(new GenerationOptions());

    /// <summary>The published settings of each preset of <see cref="ArpgConfig.Presets"/>, by the same names.</summary>
    public static IReadOnlyDictionary<string, RecommendedSampling> Presets { get; } = new Dictionary<string, RecommendedSampling>(
        StringComparer.OrdinalIgnoreCase)
    {
        ["ARPG-L"] = new(64, 5.0f, CfgSchedule.Linear, SampleSchedule.Arccos, Fid: 2.38),
        ["ARPG-XL"] = new(64, 6.0f, CfgSchedule.Linear, SampleSchedule.Arccos, Fid: 2.02),
        ["ARPG-XXL"] = new(64, 7.5f, CfgSchedule.Linear, SampleSchedule.Arccos, Fid: 1.91),
    };

    /// <summary>The settings of the preset <paramref name="model"/>, or <see cref="Default"/> for any other name.</summary>
    public static RecommendedSampling For(string model) => Presets.GetValueOrDefault(model) ?? Default;

    private static RecommendedSampling FromOptions(GenerationOptions o) => new(o.Steps, o.Cfg, o.CfgSchedule, o.Schedule, Fid: null);
}
