namespace ArpgIlgpu.Weights;

/// <summary>
/// Finds and fetches released weight files by model name: in folders the caller names, in the
/// cache folder, and in <c>weights/</c> of the current directory and of the repository; files
/// that are nowhere are downloaded into the cache.
/// </summary>
public sealed class WeightStore
{
    /// <summary>A store over <paramref name="cacheDirectory"/> with the files <paramref name="manifest"/> lists.</summary>
    public WeightStore(string cacheDirectory, WeightManifest manifest)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        Manifest = manifest;
    }

    /// <summary>The folder downloads go to.</summary>
    public string CacheDirectory { get; }

    /// <summary>The files this store knows by model name.</summary>
    public WeightManifest Manifest { get; }

    /// <summary>
    /// The store over <paramref name="cacheDirectory"/> (else the default, see
    /// <see cref="CacheLocation.Resolve(string?)"/>), with the official manifest and the user's
    /// <c>manifest.json</c> in that folder applied.
    /// </summary>
    public static WeightStore Open(string? cacheDirectory = null)
    {
        string cache = CacheLocation.Resolve(cacheDirectory);
        return new WeightStore(cache, WeightManifest.Official.WithUserManifest(cache));
    }

    /// <summary>Where the cache holds (or will hold) the file of <paramref name="modelName"/>.</summary>
    public string CachePath(string modelName) => Path.Combine(CacheDirectory, Manifest.Get(modelName).FileName);

    /// <summary>
    /// Every path where <see cref="Find"/> looks for the file of <paramref name="modelName"/>, in
    /// order: each of <paramref name="extraDirectories"/>, the cache, <c>./weights</c>, and
    /// <c>weights/</c> of the repository this program runs from (if it runs from one).
    /// </summary>
    public IReadOnlyList<string> SearchPaths(string modelName, IEnumerable<string>? extraDirectories = null)
    {
        string fileName = Manifest.Get(modelName).FileName;
        IEnumerable<string> directories = (extraDirectories ?? [])
            .Append(CacheDirectory)
            .Append(Path.Combine(Environment.CurrentDirectory, "weights"));
        if (RepositoryWeightsDirectory() is string repository)
            directories = directories.Append(repository);
        return directories.Select(d => Path.Combine(Path.GetFullPath(d), fileName)).Distinct().ToList();
    }

    /// <summary>
    /// The first existing file of <paramref name="modelName"/> along <see cref="SearchPaths"/>, or
    /// null when there is none.
    /// </summary>
    public string? Find(string modelName, IEnumerable<string>? extraDirectories = null) =>
        SearchPaths(modelName, extraDirectories).FirstOrDefault(File.Exists);

    /// <summary>
    /// The path of the file of <paramref name="modelName"/>: the one <see cref="Find"/> finds, else
    /// a fresh download into the cache (see <see cref="DownloadAsync"/>).
    /// </summary>
    public async Task<string> EnsureAsync(string modelName, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation) =>
        Find(modelName) ?? (await DownloadAsync(modelName, options, progress, cancellation)).Path;

    /// <summary>
    /// Downloads and verifies the file of <paramref name="modelName"/> into the cache, replacing
    /// any file there; throws <see cref="WeightDownloadException"/> when that fails.
    /// </summary>
    public Task<DownloadedFile> DownloadAsync(string modelName, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation) =>
        WeightDownloader.DownloadAsync(Manifest.Get(modelName), CacheDirectory, options, progress, cancellation);

    /// <summary>
    /// The one-line error for weights that could not be found: each model's file and every path
    /// searched for it, then how to get them (<c>arpg download</c> or the URLs).
    /// </summary>
    public string MissingFilesMessage(IEnumerable<string> modelNames, IEnumerable<string>? extraDirectories = null)
    {
        List<WeightFile> missing = Manifest.Select(modelNames).ToList();
        IEnumerable<string> searched = missing.Select(f =>
            $"{f.Model} ({f.FileName}) is not at {string.Join(", ", SearchPaths(f.Model, extraDirectories))}");
        return $"missing weights: {string.Join("; ", searched)}; "
            + $"run `arpg download {string.Join(" ", missing.Select(f => f.Model))}` "
            + $"or download {string.Join(" and ", missing.Select(f => f.Url))} into {CacheDirectory}";
    }

    /// <summary>weights/ of the repository above the running program, found by its ArpgIlgpu.sln.</summary>
    private static string? RepositoryWeightsDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "ArpgIlgpu.sln")))
                return Path.Combine(directory.FullName, "weights");
        return null;
    }
}
