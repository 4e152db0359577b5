using System.Text.Json;

namespace ArpgIlgpu.Models;

/// <summary>
/// A config file in the fixture schema, <c>{"arpg": {...}, "vq": {...}, "generation": {...}}</c>:
/// the model shapes of a checkpoint that is not one of the presets. Either model object may be absent; "generation" is ignored here (the command line sets sampling).
/// </summary>
/// <param name="Path">The file, for error messages.</param>
/// <param name="Arpg">The transformer config, if the file has an "arpg" object.</param>
/// <param name="Vq">The tokenizer config, if the file has a "vq" object.</param>
public sealed record ModelConfigFile(string Path, ArpgConfig? Arpg, VqConfig? Vq)
{
    /// <summary>The largest config file read (a config is a few hundred bytes).</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>The parameter <see cref="InvalidParameterException"/>s of <see cref="Read"/> name.</summary>
    public const string Parameter = "config file";

    /// <summary>Reads and validates a config file; errors name the file and the field.</summary>
    public static ModelConfigFile Read(string path)
    {
        ReadOnlyMemory<byte> text = InputFile.ReadUtf8(path, MaxBytes, Parameter);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidParameterException(Parameter, path, "expected a JSON object {\"arpg\": {...}, \"vq\": {...}}");
            ArpgConfig? arpg = root.TryGetProperty("arpg", out JsonElement a) ? ArpgConfig.FromJson(a, "\"arpg\"") : null;
            VqConfig? vq = root.TryGetProperty("vq", out JsonElement v) ? VqConfig.FromJson(v, "\"vq\"") : null;
            if (arpg is null && vq is null)
                throw new InvalidParameterException(Parameter, path, "neither an \"arpg\" nor a \"vq\" object");
            return new ModelConfigFile(path, arpg, vq);
        }
        catch (InvalidInputException e) when (e is not InvalidParameterException)
        {
            throw new InvalidParameterException(Parameter, path, e.Message, e); // a field of "arpg" or "vq"
        }
        catch (JsonException e)
        {
            throw new InvalidParameterException(Parameter, path, $"not valid JSON ({e.Message})", e);
        }
    }
}
