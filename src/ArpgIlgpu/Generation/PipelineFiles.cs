using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The models of a pipeline as files: each model's shapes and its checkpoint (.pt or
/// .safetensors). <see cref="ImagePipeline.Load"/> reads them; <see cref="PretrainedModels"/>
/// finds them for a released model.
/// </summary>
public sealed record PipelineFiles
{
    /// <summary>The transformer's shapes.</summary>
    public ArpgConfig Arpg { get; init; } = ArpgConfig.Presets["ARPG-L"];

    /// <summary>The transformer's weights, or null when it is not loaded.</summary>
    public string? ArpgCheckpoint { get; init; }

    /// <summary>
    /// The entry of a .pt transformer checkpoint that holds the state dict (e.g. "ema" in a
    /// training checkpoint); null finds it as the official loader does.
    /// </summary>
    public string? WeightsKey { get; init; }

    /// <summary>The tokenizer's shapes.</summary>
    public VqConfig Vq { get; init; } = VqConfig.Vq16;

    /// <summary>The tokenizer's weights, or null when it is not loaded.</summary>
    public string? VqCheckpoint { get; init; }
}
