namespace ArpgIlgpu.Generation;

/// <summary>
/// A class name that <see cref="ImageNetClasses"/> does not know, or that several classes share
/// ("crane": the bird and the machine); <see cref="Candidates"/> are the classes it might mean.
/// </summary>
public sealed class UnknownClassException(string query, bool ambiguous, IReadOnlyList<ImageNetClass> candidates)
    : InvalidInputException(ambiguous
        ? $"'{query}' names several ImageNet classes ({string.Join("; ", candidates)}): give the number"
        : $"'{query}' is not an ImageNet class name (closest: {string.Join("; ", candidates)})")
{
    /// <summary>The name as given.</summary>
    public string Query => query;

    /// <summary>True when several classes have this name; false when none has.</summary>
    public bool Ambiguous => ambiguous;

    /// <summary>The classes sharing the name, or the closest names to it.</summary>
    public IReadOnlyList<ImageNetClass> Candidates => candidates;
}
