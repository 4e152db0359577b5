namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Checks a checkpoint against the tensors a model expects before anything is uploaded, so that the
/// wrong file or the wrong --model fails with one line that says which tensor differs and how.
/// </summary>
public static class ShapeCheck
{
    private const int ListedNames = 5;

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> when a tensor has another shape (the first such
    /// tensor is reported with both shapes), when expected tensors are missing, or when the file has
    /// tensors the model does not use and <paramref name="ignoreUnexpected"/> does not excuse.
    /// <paramref name="hint"/> ends the message ("is --model right?").
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
        var unexpected = stateDict.Names.Where(n => !expected.ContainsKey(n) && !ignoreUnexpected(n)).ToList();
        if (missing.Count > 0)
            problems.Add($"{missing.Count} missing: {Listed(missing)}");
        if (unexpected.Count > 0)
            problems.Add($"{unexpected.Count} unexpected: {Listed(unexpected)}");
        if (problems.Count > 0)
            throw new InvalidInputException($"{stateDict.Path}: {string.Join("; ", problems)}; {hint}");
    }

    private static string Listed(List<string> names) =>
        string.Join(", ", names.Take(ListedNames)) + (names.Count > ListedNames ? $", ... ({names.Count - ListedNames} more)" : "");
}
