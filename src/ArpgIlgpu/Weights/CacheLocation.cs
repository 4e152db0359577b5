namespace ArpgIlgpu.Weights;

/// <summary>Where downloaded weights are kept when the user does not say.</summary>
public static class CacheLocation
{
    /// <summary>The environment variable that names the cache folder.</summary>
    public const string HomeVariable = "ARPG_HOME";

    /// <summary>
    /// The cache folder: <paramref name="cacheOption"/> when given, else
    /// <c>$ARPG_HOME</c>, else LocalApplicationData\arpg on Windows, else
    /// <c>$XDG_CACHE_HOME/arpg</c>, else <c>~/.cache/arpg</c>. Always a full path.
    /// </summary>
    public static string Resolve(string? cacheOption = null) => Resolve(cacheOption, Environment.GetEnvironmentVariable);

    internal static string Resolve(string? cacheOption, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(cacheOption))
            return Path.GetFullPath(cacheOption);
        if (environment(HomeVariable) is { Length: > 0 } home)
            return Path.GetFullPath(home);
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "arpg");
        // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        if (environment("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "arpg");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "arpg");
    }
}
