using System.Text.Json;

namespace ArpgIlgpu.Models;

/// <summary>
/// Typed reads of a JSON object's fields with errors that name the file and the field, for the
/// config files users pass.
/// </summary>
internal readonly struct JsonFields(JsonElement obj, string source)
{
    /// <summary>What the object is, as errors name it.</summary>
    public string Source => source;

    /// <summary>A required (or defaulted) integer field.</summary>
    public int Int(string name, int? fallback = null)
    {
        if (!TryGet(name, out JsonElement v))
            return fallback ?? throw Missing(name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
            throw Wrong(name, "an integer", v);
        return i;
    }

    /// <summary>A required (or defaulted) number field.</summary>
    public double Double(string name, double? fallback = null)
    {
        if (!TryGet(name, out JsonElement v))
            return fallback ?? throw Missing(name);
        if (v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble()))
            throw Wrong(name, "a finite number", v);
        return v.GetDouble();
    }

    /// <summary>A number field that may be null or absent.</summary>
    public double? NullableDouble(string name) =>
        TryGet(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? Double(name) : null;

    /// <summary>A required (or defaulted) boolean field.</summary>
    public bool Bool(string name, bool? fallback = null)
    {
        if (!TryGet(name, out JsonElement v))
            return fallback ?? throw Missing(name);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(name, "true or false", v),
        };
    }

    /// <summary>A required (or defaulted) string field.</summary>
    public string String(string name, string? fallback = null)
    {
        if (!TryGet(name, out JsonElement v))
            return fallback ?? throw Missing(name);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Wrong(name, "a string", v);
    }

    /// <summary>A required (or defaulted) array of integers.</summary>
    public int[] IntArray(string name, int[]? fallback = null)
    {
        if (!TryGet(name, out JsonElement v))
            return fallback ?? throw Missing(name);
        if (v.ValueKind != JsonValueKind.Array)
            throw Wrong(name, "an array of integers", v);
        var result = new int[v.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out result[i++]))
                throw Wrong(name, "an array of integers", v);
        }
        return result;
    }

    private bool TryGet(string name, out JsonElement value)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException($"{source}: expected a JSON object, found {obj.ValueKind}");
        return obj.TryGetProperty(name, out value);
    }

    private InvalidInputException Missing(string name) => new($"{source}: field \"{name}\" is missing");

    private InvalidInputException Wrong(string name, string expected, JsonElement found) =>
        new($"{source}: field \"{name}\" must be {expected}, found {Abbreviate(found.GetRawText())}");

    private static string Abbreviate(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
