namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Checks a checkpoint against the tensors a model expects before anything is uploaded, so that the
/// wrong file or the wrong model config fails with one line that says which tensor differs and how.
/// Entries the model does not use are ignored, as the official loader's
/// <c>load_state_dict(..., strict=False)</c> ignores them: a leftover buffer must not make a
/// released file unloadable here when PyTorch loads it.
/// </summary>
public static class ShapeCheck
{
    private const int ListedNames = 5;

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> when a tensor has another shape (the first such
    /// tensor is reported with both shapes) or when expected tensors are missing;
    /// <paramref name="hint"/> ends the message ("is the config right?"). Tensors the model does not
    /// use are skipped: those that are neither <see cref="KnownBuffers"/> nor excused by
    /// <paramref name="ignoreUnexpected"/> are left in <see cref="StateDict.IgnoredNames"/> for the
    /// caller to warn about.
    /// </summary>
    public static void Verify(StateDict stateDict, IReadOnlyDictionary<string, int[]> expected,
        Func<string, bool> ignoreUnexpected, string hint)
    {
        var problems = new List<string>();
        var missing = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!stateDict.Contains(name))
                missing.Add(name);
            else if (problems.Count == 0 && !stateDict.Info(name).Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"{name}: expected {TensorInfo.FormatShape(shape)}, found {TensorInfo.FormatShape(stateDict.Info(name).Shape)}");
        }
        if (missing.Count > 0)
            problems.Add($"{missing.Count} missing: {Listed(missing)}");
        if (problems.Count > 0)
            throw new InvalidInputException($"{stateDict.Path}: {string.Join("; ", problems)}; {hint}");
        stateDict.IgnoredNames = stateDict.Names
            .Where(n => !expected.ContainsKey(n) && !ignoreUnexpected(n) && !KnownBuffers.Contains(n)).ToList();
    }

    /// <summary>The first five names, then how many more: "a, b, c, d, e, ... (3 more)".</summary>
    public static string Listed(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(ListedNames)) + (names.Count > ListedNames ? $", ... ({names.Count - ListedNames} more)" : "");
}
