using System.Text.Json;

namespace ArpgIlgpu.Weights;

/// <summary>
/// The released weight files by model name: the official list (weights/manifest.json, embedded in
/// the library) with a user's corrections from <c>manifest.json</c> in the cache folder applied.
/// </summary>
/// <remarks>
/// Both files share one schema, an object keyed by model name:
/// <c>{"ARPG-L": {"file": "arpg_300m.pt", "url": "https://...", "size": null, "sha256": "c0f32ba0"}}</c>.
/// A user entry for a known model overrides only the fields it names (so
/// <c>{"ARPG-L": {"sha256": "&lt;64 hex digits&gt;"}}</c> adds a full digest); an entry for a new
/// model needs <c>file</c> and <c>url</c>.
/// </remarks>
public sealed class WeightManifest
{
    /// <summary>The manifest's file name, in weights/ and in the cache folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The name that stands for every model on the command line.</summary>
    public const string AllModels = "all";

    private const string ResourceName = "ArpgIlgpu.Weights.manifest.json";
    private const int MaxManifestBytes = 1 << 20;
    private const int MinDigestPrefix = 8;
    private static readonly string[] Fields = ["file", "url", "size", "sha256"];

    private WeightManifest(IReadOnlyList<WeightFile> files) => Files = files;

    /// <summary>The files in manifest order (official models first).</summary>
    public IReadOnlyList<WeightFile> Files { get; }

    /// <summary>The model names in manifest order.</summary>
    public IEnumerable<string> Names => Files.Select(f => f.Model);

    /// <summary>The official manifest embedded in the library.</summary>
    public static WeightManifest Official { get; } = LoadOfficial();

    /// <summary>Parses a manifest; <paramref name="source"/> names it in error messages.</summary>
    public static WeightManifest Parse(string json, string source) => new WeightManifest([]).WithOverrides(json, source);

    /// <summary>
    /// This manifest with the entries of <paramref name="json"/> applied: fields of known models
    /// replaced, new models added. <paramref name="source"/> names the JSON in error messages.
    /// </summary>
    public WeightManifest WithOverrides(string json, string source)
    {
        var files = Files.ToList();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{source} is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidInputException($"{source} must be a JSON object keyed by model name");
            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                int index = files.FindIndex(f => SameName(f.Model, entry.Name));
                WeightFile file = ParseEntry(entry, index >= 0 ? files[index] : null, $"{source}, entry '{entry.Name}'");
                if (index >= 0)
                    files[index] = file;
                else
                    files.Add(file);
            }
        }
        return new WeightManifest(files);
    }

    /// <summary>
    /// This manifest with the user's manifest (<c>manifest.json</c> in <paramref name="cacheDirectory"/>)
    /// applied, or this manifest unchanged when there is none.
    /// </summary>
    public WeightManifest WithUserManifest(string cacheDirectory)
    {
        string path = Path.Combine(cacheDirectory, FileName);
        if (!File.Exists(path))
            return this;
        ReadOnlyMemory<byte> text = InputFile.ReadUtf8(path, MaxManifestBytes, "manifest");
        return WithOverrides(System.Text.Encoding.UTF8.GetString(text.Span), $"manifest {path}");
    }

    /// <summary>The file of model <paramref name="model"/> (case-insensitive), or an error listing the valid names.</summary>
    public WeightFile Get(string model) =>
        Files.FirstOrDefault(f => SameName(f.Model, model))
        ?? throw new InvalidInputException($"unknown model '{model}'; valid names: {string.Join(", ", Names)}, {AllModels}");

    /// <summary>
    /// The files that <paramref name="models"/> name, in order, without repeats; <c>all</c> stands
    /// for every model. Unknown names are an error listing the valid ones.
    /// </summary>
    public IReadOnlyList<WeightFile> Select(IEnumerable<string> models) =>
        models.SelectMany(m => SameName(m, AllModels) ? Files : [Get(m)]).Distinct().ToList();

    private static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static WeightManifest LoadOfficial()
    {
        using Stream stream = typeof(WeightManifest).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the library");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "the official manifest");
    }

    private static WeightFile ParseEntry(JsonProperty entry, WeightFile? known, string where)
    {
        if (entry.Name.Length == 0 || entry.Name.Any(char.IsWhiteSpace) || SameName(entry.Name, AllModels))
            throw new InvalidInputException($"{where}: '{entry.Name}' cannot be a model name");
        JsonElement value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException($"{where} must be an object with fields {string.Join(", ", Fields)}");
        foreach (JsonProperty field in value.EnumerateObject())
            if (!Fields.Contains(field.Name))
                throw new InvalidInputException($"{where}: unknown field '{field.Name}' (fields: {string.Join(", ", Fields)})");

        string? fileName = value.TryGetProperty("file", out JsonElement f) ? ParseFileName(f, where) : known?.FileName;
        Uri? url = value.TryGetProperty("url", out JsonElement u) ? ParseUrl(u, where) : known?.Url;
        long? size = value.TryGetProperty("size", out JsonElement s) ? ParseSize(s, where) : known?.SizeBytes;
        string? sha256 = value.TryGetProperty("sha256", out JsonElement h) ? ParseDigest(h, where) : known?.Sha256;
        if (fileName is null || url is null)
            throw new InvalidInputException($"{where}: a new model needs both 'file' and 'url'");
        return new WeightFile(known?.Model ?? entry.Name, fileName, url, size, sha256);
    }

    private static string ParseFileName(JsonElement element, string where)
    {
        string? name = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.Contains('/') || name.Contains('\\')
            || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new InvalidInputException($"{where}: 'file' must be a bare file name, got {element.GetRawText()}");
        return name;
    }

    private static Uri ParseUrl(JsonElement element, string where)
    {
        string? text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new InvalidInputException($"{where}: 'url' must be an absolute http or https URL, got {element.GetRawText()}");
        return url;
    }

    private static long? ParseSize(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.Null)
            return null;
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long size) || size <= 0)
            throw new InvalidInputException($"{where}: 'size' must be a positive number of bytes or null, got {element.GetRawText()}");
        return size;
    }

    private static string? ParseDigest(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.Null)
            return null;
        string? digest = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (digest is null || digest.Length < MinDigestPrefix || digest.Length > WeightFile.FullDigestLength || !digest.All(char.IsAsciiHexDigit))
            throw new InvalidInputException(
                $"{where}: 'sha256' must be {MinDigestPrefix} to {WeightFile.FullDigestLength} hex digits or null, got {element.GetRawText()}");
        return digest.ToLowerInvariant();
    }
}
