using ArpgIlgpu.Weights;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg download MODEL...`: fetches released weight files into the cache, verified against the
/// manifest. Progress goes to stderr; stdout gets one path per file, for scripts.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        string names = string.Join(", ", WeightManifest.Official.Names);
        var models = new Argument<string[]>("models")
        {
            Description = $"Models to fetch: {names}, or {WeightManifest.AllModels}",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cache = new Option<string?>("--cache")
        {
            Description = $"Cache folder (default: ${CacheLocation.HomeVariable}, else $XDG_CACHE_HOME/arpg or ~/.cache/arpg)",
        };
        var mirror = new Option<string?>("--mirror")
        {
            Description = $"Base URL that replaces {MirrorUrl.OfficialPrefix} in the download URLs (default: ${MirrorUrl.Variable})",
        };
        var command = new Command("download", "Download released weights into the cache, checking size and SHA-256");
        command.Arguments.Add(models);
        command.Options.Add(cache);
        command.Options.Add(mirror);
        command.SetAction((parsed, cancellation) => RunAsync(
            parsed.GetValue(models) ?? [], parsed.GetValue(cache), parsed.GetValue(mirror), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(string[] models, string? cacheOption, string? mirrorOption, CancellationToken cancellation)
    {
        WeightStore store = WeightStore.Open(cacheOption);
        if (models.Length == 0)
            throw new InvalidInputException(
                $"name the models to download: {string.Join(", ", store.Manifest.Names)}, or {WeightManifest.AllModels}");
        IReadOnlyList<WeightFile> files = store.Manifest.Select(models);
        var options = new DownloadOptions { Mirror = MirrorUrl.Resolve(mirrorOption) };

        foreach (WeightFile file in files)
        {
            string cached = store.CachePath(file.Model);
            if (File.Exists(cached))
            {
                Console.Error.WriteLine($"{file.Model}: already in the cache");
                Console.WriteLine(cached);
                continue;
            }
            Console.Error.WriteLine($"{file.Model}: fetching {MirrorUrl.Apply(file.Url, options.Mirror)} into {store.CacheDirectory}");
            DownloadedFile downloaded;
            using (var printer = new DownloadProgressPrinter(Console.Error, redrawInPlace: !Console.IsErrorRedirected))
                downloaded = await store.DownloadAsync(file.Model, options, printer, cancellation);
            Console.Error.WriteLine($"{file.Model}: {downloaded.Describe()}");
            Console.WriteLine(downloaded.Path);
        }
        return CommandRunner.Ok;
    }
}
