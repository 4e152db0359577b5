using ArpgIlgpu.Imaging;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArpgIlgpu.Cli;

/// <summary>
/// The --out folder of <c>arpg sample</c>: <c>{index:D6}.png</c> per image (the official
/// sampler's names), <see cref="SettingsName"/> recording what made them, and, once every image
/// exists, <see cref="NpzName"/> for the ADM evaluation suite. Several runs (shards, resumed
/// runs) fill the same folder; the record makes sure they all use the same settings, so that
/// image i is the same picture whichever run made it.
/// </summary>
internal sealed class SampleFolder(string path, int count, int imageSize)
{
    /// <summary>The settings record: model, sampling settings, number of images and class rule, as JSON.</summary>
    public const string SettingsName = "sample.json";

    /// <summary>The archive of all images: arr_0, uint8 [count, size, size, 3].</summary>
    public const string NpzName = "samples.npz";

    /// <summary>The folder.</summary>
    public string Path => path;

    /// <summary>The PNG of image <paramref name="index"/>.</summary>
    public string ImagePath(int index) => System.IO.Path.Combine(path, $"{index:D6}.png");

    /// <summary>The .npz archive's path.</summary>
    public string NpzPath => System.IO.Path.Combine(path, NpzName);

    /// <summary>
    /// True when image <paramref name="index"/> is done: its PNG exists, decodes and has the
    /// expected size. Files are renamed into place whole, so anything else (a file damaged or
    /// replaced by hand) is made again.
    /// </summary>
    public bool IsComplete(int index) => ReadImage(index) is not null;

    /// <summary>
    /// Throws when the folder already holds samples made with other settings than
    /// <paramref name="settings"/>, naming what differs.
    /// </summary>
    public void RequireSameSettings(JsonObject settings)
    {
        string file = System.IO.Path.Combine(path, SettingsName);
        if (!File.Exists(file))
            return;
        JsonObject? recorded;
        try
        {
            recorded = JsonNode.Parse(InputFile.ReadUtf8(file, 1 << 20).Span) as JsonObject;
        }
        catch (JsonException)
        {
            recorded = null;
        }
        if (recorded is null)
            throw new InvalidInputException($"--out {path}: {SettingsName} is not a settings record; remove it or choose another --out");
        string[] differences = settings.Select(p => p.Key)
            .Union(recorded.Select(p => p.Key))
            .Where(key => !JsonNode.DeepEquals(settings[key], recorded[key]))
            .Select(key => $"{key}: {Show(recorded[key])} there, {Show(settings[key])} now")
            .ToArray();
        if (differences.Length > 0)
            throw new InvalidInputException(
                $"--out {path} holds samples made with other settings ({string.Join("; ", differences)}); " +
                "use the same settings to continue it, or another --out");
    }

    /// <summary>Writes the settings record unless it exists (every run that shares the folder writes the same one).</summary>
    public void RecordSettings(JsonObject settings)
    {
        string file = System.IO.Path.Combine(path, SettingsName);
        if (!File.Exists(file))
            AtomicFile.Write(file, temp => File.WriteAllText(temp,
                settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
    }

    /// <summary>
    /// Deletes the temporary PNGs (<c>.000007.png.GUID.tmp</c>) that a run of images
    /// <paramref name="indices"/> killed before it could rename them left behind. Other images'
    /// temporaries stay: another shard's run may be writing them now.
    /// </summary>
    public int RemoveStaleTemporaries(IEnumerable<int> indices)
    {
        HashSet<string> names = indices.Select(i => System.IO.Path.GetFileName(ImagePath(i))).ToHashSet();
        return AtomicFile.RemoveStaleTemporaries(path, names.Contains);
    }

    /// <summary>Images whose PNG exists (not decoded: a cheap check before writing the archive).</summary>
    public int CountPresent() => Enumerable.Range(0, count).Count(i => File.Exists(ImagePath(i)));

    /// <summary>
    /// Streams every PNG, in index order, into the .npz archive (one image in memory at a time);
    /// the archive appears whole at the end or not at all.
    /// </summary>
    public void WriteNpz(ProgressDisplay display, CancellationToken cancel)
    {
        using ProgressBar bar = display.Start(NpzName, count, "images");
        using var npz = new NpzImageWriter(NpzPath, count, imageSize, imageSize);
        for (int i = 0; i < count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            npz.Append(ReadImage(i) ?? throw new InvalidInputException(
                $"{ImagePath(i)}: not a {imageSize}x{imageSize} PNG (damaged?); delete it and run again to remake it"));
            bar.Report(i + 1);
        }
        npz.Commit();
    }

    /// <summary>The picture of image <paramref name="index"/>, or null when it is missing, damaged or of another size.</summary>
    private RgbImage? ReadImage(int index)
    {
        string file = ImagePath(index);
        if (!File.Exists(file))
            return null;
        try
        {
            RgbImage image = ImageLoader.Read(file, 1, ImageFit.Reject);
            return image.Width == imageSize && image.Height == imageSize ? image : null;
        }
        catch (InvalidInputException)
        {
            return null;
        }
    }

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "absent";
}
