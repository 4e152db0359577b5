using ArpgIlgpu.Checkpoints;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The one warning line for checkpoint entries a model did not use (<see cref="StateDict.IgnoredNames"/>):
/// they were skipped, as PyTorch's <c>load_state_dict(strict=False)</c> skips them, and the user
/// should know which. Each file is named once, however many devices load it.
/// </summary>
internal sealed class IgnoredTensorWarning
{
    private readonly HashSet<string> warned = [];

    /// <summary>Prints the warning for <paramref name="weights"/> (after a load) if it has ignored entries; returns <paramref name="loaded"/>.</summary>
    public T After<T>(T loaded, StateDict weights)
    {
        if (weights.IgnoredNames.Count > 0 && warned.Add(weights.Path))
            Console.Error.WriteLine($"warning: {weights.Path}: ignored {weights.IgnoredNames.Count} entries the model does not use " +
                                    $"(as the official loader's strict=False): {ShapeCheck.Listed(weights.IgnoredNames)}");
        return loaded;
    }
}
