namespace ArpgIlgpu.Weights;

/// <summary>
/// A mirror of Hugging Face (given by the caller, or <c>$ARPG_MIRROR</c>): it replaces the
/// <c>https://huggingface.co</c> prefix of the official URLs, keeping the rest of the path.
/// </summary>
public static class MirrorUrl
{
    /// <summary>The environment variable that names a mirror when the caller gives none.</summary>
    public const string Variable = "ARPG_MIRROR";

    /// <summary>The parameter <see cref="InvalidParameterException"/>s about a mirror given by the caller name.</summary>
    public const string Parameter = "mirror";

    /// <summary>The prefix of the official URLs that a mirror replaces.</summary>
    public const string OfficialPrefix = "https://huggingface.co";

    /// <summary>The mirror <paramref name="mirrorOption"/> names, else the one in <c>$ARPG_MIRROR</c>, else null.</summary>
    public static Uri? Resolve(string? mirrorOption) => Resolve(mirrorOption, Environment.GetEnvironmentVariable);

    internal static Uri? Resolve(string? mirrorOption, Func<string, string?> environment)
    {
        if (mirrorOption is not null)
            return Parse(mirrorOption, Parameter);
        return environment(Variable) is { Length: > 0 } fromEnvironment ? Parse(fromEnvironment, Variable) : null;
    }

    /// <summary>
    /// Parses a mirror base URL; <paramref name="source"/> (the option or variable) names it in the
    /// error when it is not an absolute http or https URL without query or fragment.
    /// </summary>
    public static Uri Parse(string text, string source)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? mirror)
            || (mirror.Scheme != Uri.UriSchemeHttp && mirror.Scheme != Uri.UriSchemeHttps)
            || mirror.Query.Length > 0 || mirror.Fragment.Length > 0)
            throw new InvalidParameterException(source, $"'{text}'",
                "not a mirror base URL: give an absolute http or https URL such as https://hf-mirror.com");
        return mirror;
    }

    /// <summary>
    /// <paramref name="url"/> with its <c>https://huggingface.co</c> prefix replaced by
    /// <paramref name="mirror"/>; unchanged when there is no mirror or the URL is not on Hugging Face.
    /// </summary>
    public static Uri Apply(Uri url, Uri? mirror)
    {
        string official = url.AbsoluteUri;
        if (mirror is null || !official.StartsWith(OfficialPrefix + "/", StringComparison.OrdinalIgnoreCase))
            return url;
        return new Uri(mirror.AbsoluteUri.TrimEnd('/') + official[OfficialPrefix.Length..]);
    }
}
