namespace ArpgIlgpu.Cli;

/// <summary>Parses --classes: comma-separated integers.</summary>
internal static class ClassList
{
    /// <summary>The labels, in order; ranges are checked against the model later.</summary>
    public static int[] Parse(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var labels = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out labels[i]))
                throw new InvalidInputException($"--classes '{text}': '{parts[i]}' is not an integer class label");
        return labels;
    }
}
