using ArpgIlgpu.Generation;

namespace ArpgIlgpu.Cli;

/// <summary>Parses --classes: comma-separated class numbers or ImageNet class names ("golden retriever,volcano,207").</summary>
internal static class ClassList
{
    /// <summary>
    /// The labels, in order. Numbers are taken as they are (ranges are checked against the model
    /// later); names are looked up in <see cref="ImageNetClasses"/>.
    /// </summary>
    public static int[] Parse(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var labels = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (int.TryParse(parts[i], out labels[i]))
                continue;
            if (parts[i].Length == 0)
                throw new InvalidInputException($"--classes '{text}': an empty entry (two commas in a row?)");
            try
            {
                labels[i] = ImageNetClasses.Find(parts[i]).Number;
            }
            catch (UnknownClassException e)
            {
                throw new InvalidInputException($"--classes: {e.Message}; `arpg classes WORD` searches the names", e);
            }
        }
        return labels;
    }
}
