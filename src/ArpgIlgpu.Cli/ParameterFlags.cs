using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ArpgIlgpu.Weights;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The command line's names for the library's parameters: the library's
/// <see cref="InvalidParameterException"/> names a parameter as its API does (Steps, classes),
/// the user typed a flag (--steps, --classes), so the error line names the flag.
/// </summary>
internal static class ParameterFlags
{
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["model"] = "--model",
        [ModelConfigFile.Parameter] = "--config",
        [nameof(PipelineFiles.ArpgCheckpoint)] = "--arpg-checkpoint",
        [nameof(PipelineFiles.VqCheckpoint)] = "--vq-checkpoint",
        [DeviceSpec.Parameter] = "--device",
        [MirrorUrl.Parameter] = "--mirror",
        [nameof(GenerationOptions.Steps)] = "--steps",
        [nameof(GenerationOptions.Cfg)] = "--cfg",
        [nameof(GenerationOptions.Order)] = "--order",
        [nameof(SamplingSettings.Temperature)] = "--temperature",
        [nameof(SamplingSettings.TopK)] = "--top-k",
        [nameof(SamplingSettings.TopP)] = "--top-p",
        [DecodeState.BatchParameter] = "--batch",
        ["classes"] = "--classes", // ImagePipeline.Generate, TokenChecks.RequireClasses
        ["labels"] = "--classes", // SampleClasses
        ["count"] = "--num", // SampleClasses.Balanced
        ["classLabel"] = "--class", // the editing methods
        ["mask"] = "--mask",
        ["left"] = "--left",
        ["right"] = "--right",
        ["top"] = "--top",
        ["bottom"] = "--bottom",
        ["scale"] = "--scale",
        ["fit"] = "--crop or --resize", // ImageLoader.Read
        [TokenFile.Parameter] = "--tokens",
        ["tokens"] = "--tokens", // ImagePipeline.Score
        ["orders"] = "--orders",
    };

    /// <summary>Where the command line helps further with a parameter.</summary>
    private static readonly Dictionary<string, string> Hints = new()
    {
        [DeviceSpec.Parameter] = "`arpg devices` lists them",
    };

    /// <summary>The exception's message with its parameter named by the flag (unchanged for a parameter with no flag).</summary>
    public static string Describe(InvalidParameterException e) =>
        (Flags.TryGetValue(e.Parameter, out string? flag) ? InvalidParameterException.Describe(flag, e.Value, e.Problem) : e.Message)
        + (Hints.TryGetValue(e.Parameter, out string? hint) ? $"; {hint}" : "");
}
