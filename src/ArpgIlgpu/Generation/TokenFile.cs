using System.Text;
using System.Text.Json;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The tokens file that <c>arpg generate</c> (saving tokens) and <c>arpg encode</c> write and
/// <c>arpg decode</c> reads: <c>{"classes": [...], "tokens": [[... L ints in grid order ...], ...]}</c>,
/// one row of L = g*g token ids (row-major over the g x g grid) per image; "classes" is optional
/// and, when present, has one class per image.
/// </summary>
/// <param name="Classes">One class per image, or null.</param>
/// <param name="Tokens">One row of g*g token ids per image.</param>
public sealed record TokenFile(IReadOnlyList<int>? Classes, IReadOnlyList<int[]> Tokens)
{
    /// <summary>The parameter <see cref="InvalidParameterException"/>s of reading a tokens file name.</summary>
    public const string Parameter = "tokens file";

    /// <summary>The largest file read: 64 MiB, some 6 million tokens.</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>g: each row is a g x g grid.</summary>
    public int GridSize => (int)Math.Round(Math.Sqrt(Tokens[0].Length));

    /// <summary>
    /// Reads and checks a tokens file: at least one row, every row the same square length, classes
    /// (if any) one per row. Token values are checked by <see cref="RequireTokensBelow"/>.
    /// </summary>
    public static TokenFile Read(string path)
    {
        ReadOnlyMemory<byte> text = InputFile.ReadUtf8(path, MaxFileBytes, Parameter);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            return FromJson(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new InvalidParameterException(Parameter, path, $"not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Reads the JSON object of the file <paramref name="path"/> (named in errors).</summary>
    public static TokenFile FromJson(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidParameterException(Parameter, path, "expected a JSON object {\"tokens\": [[...], ...]}");
        if (!root.TryGetProperty("tokens", out JsonElement tokens) || tokens.ValueKind != JsonValueKind.Array
            || tokens.GetArrayLength() == 0)
            throw new InvalidParameterException(Parameter, path, "\"tokens\" must be a non-empty array of token rows");
        var rows = new List<int[]>(tokens.GetArrayLength());
        foreach (JsonElement row in tokens.EnumerateArray())
            rows.Add(Ints(row, path, $"\"tokens\" row {rows.Count}"));
        int length = rows[0].Length, g = (int)Math.Round(Math.Sqrt(length));
        if (length == 0 || g * g != length)
            throw new InvalidParameterException(Parameter, path, $"rows have {length} tokens, which is not a square grid (256 = 16x16 for the released models)");
        for (int b = 1; b < rows.Count; b++)
            if (rows[b].Length != length)
                throw new InvalidParameterException(Parameter, path, $"row {b} has {rows[b].Length} tokens, row 0 has {length}");

        int[]? classes = null;
        if (root.TryGetProperty("classes", out JsonElement c) && c.ValueKind != JsonValueKind.Null)
        {
            classes = Ints(c, path, "\"classes\"");
            if (classes.Length != rows.Count)
                throw new InvalidParameterException(Parameter, path, $"{classes.Length} classes for {rows.Count} token rows");
        }
        return new TokenFile(classes, rows);
    }

    /// <summary>Throws naming the file <paramref name="path"/>, the image and the position of the first token outside 0..limit-1.</summary>
    public void RequireTokensBelow(int limit, string path)
    {
        for (int b = 0; b < Tokens.Count; b++)
            for (int p = 0; p < Tokens[b].Length; p++)
                if ((uint)Tokens[b][p] >= (uint)limit)
                    throw new InvalidParameterException(Parameter, path, $"image {b}, position {p}: token {Tokens[b][p]} is outside the codebook 0..{limit - 1}");
    }

    /// <summary>Writes the file atomically, one token row per line.</summary>
    public void Write(string path)
    {
        var text = new StringBuilder("{");
        if (Classes is not null)
            text.Append("\"classes\": [").AppendJoin(", ", Classes).Append("], ");
        text.Append("\"tokens\": [\n");
        for (int b = 0; b < Tokens.Count; b++)
            text.Append("  [").AppendJoin(", ", Tokens[b]).Append(b + 1 < Tokens.Count ? "],\n" : "]\n");
        text.Append("]}\n");
        AtomicFile.Write(path, temp => File.WriteAllText(temp, text.ToString()));
    }

    private static int[] Ints(JsonElement array, string path, string what)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidParameterException(Parameter, path, $"{what} must be an array of integers");
        var result = new int[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in array.EnumerateArray())
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out result[i++]))
                throw new InvalidParameterException(Parameter, path, $"{what}: element {i - 1} is not a 32-bit integer ({e.ValueKind})");
        return result;
    }
}
