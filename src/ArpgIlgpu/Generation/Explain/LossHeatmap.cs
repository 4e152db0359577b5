using System.Text.Json;
using ArpgIlgpu.Imaging;

namespace ArpgIlgpu.Generation.Explain;

/// <summary>What NAME.losses.json holds: the per-token losses behind a heatmap.</summary>
/// <param name="ClassLabel">The class the image was scored under.</param>
/// <param name="Rows">Token rows.</param>
/// <param name="Columns">Token columns.</param>
/// <param name="MeanCrossEntropy">The mean of <paramref name="Losses"/>: the image's score.</param>
/// <param name="Losses">[Rows * Columns] in grid order: each token's teacher-forced cross-entropy, nats.</param>
public sealed record LossMap(int ClassLabel, int Rows, int Columns, double MeanCrossEntropy, double[] Losses);

/// <summary>
/// Where the model finds an image surprising: each token's teacher-forced cross-entropy
/// (<see cref="ScoreResult.TokenLosses"/>) as a heatmap over the picture, 0 nats dark to the
/// image's largest loss bright.
/// </summary>
public static class LossHeatmap
{
    /// <summary>The heatmap of <paramref name="losses"/> ([g * g], grid order) over <paramref name="picture"/>.</summary>
    public static RgbImage Render(IReadOnlyList<double> losses, RgbImage picture)
    {
        int g = (int)Math.Round(Math.Sqrt(losses.Count));
        float max = (float)losses.Max();
        return ExplainPictures.Heatmap(losses.Select(l => (float)l).ToArray(), g, g, picture, 0f, max,
            "0 NATS", $"{max:F1}", $"MEAN {losses.Average():F2}");
    }

    /// <summary>Writes <paramref name="name"/>.png (the heatmap) and <paramref name="name"/>.losses.json into <paramref name="folder"/>.</summary>
    public static void Write(string folder, string name, IReadOnlyList<double> losses, RgbImage picture, int classLabel)
    {
        int g = (int)Math.Round(Math.Sqrt(losses.Count));
        PngFile.Write(Path.Combine(folder, name + ".png"), Render(losses, picture));
        var map = new LossMap(classLabel, g, g, losses.Average(), [.. losses]);
        AtomicFile.Write(Path.Combine(folder, name + ".losses.json"), temp => File.WriteAllText(temp,
            JsonSerializer.Serialize(map, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })));
    }
}
