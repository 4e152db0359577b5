using ArpgIlgpu.Generation;
using ArpgIlgpu.Generation.Explain;
using ArpgIlgpu.Imaging;

namespace ArpgIlgpu.Cli;

/// <summary>What `arpg score` adds around the scorer: an image encoded to tokens first (--image), and the per-token heatmaps (--heatmap).</summary>
internal static class ScoreInputs
{
    /// <summary>The tokens of the picture at <paramref name="path"/> (its sides the model's), scored under <paramref name="classLabel"/>.</summary>
    public static TokenFile Encode(string path, int? classLabel, ImagePipeline pipeline)
    {
        if (classLabel is not int label)
            throw new InvalidInputException($"--image {path}: scoring an image needs its --class");
        RgbImage picture = ImageLoader.Read(path, pipeline.Tokenizer.Config.DownsampleFactor, ImageFit.Reject);
        int[] codes = pipeline.Encode(picture).Codes;
        return new TokenFile([label], [codes]);
    }

    /// <summary>Writes NAME.png (the heatmap over the decoded picture) and NAME.losses.json per image into <paramref name="folder"/>.</summary>
    public static void WriteHeatmaps(string folder, TokenFile file, IReadOnlyList<double[]> tokenLosses, ImagePipeline pipeline)
    {
        RgbImage[] pictures = pipeline.Decode(file.Tokens);
        for (int i = 0; i < pictures.Length; i++)
            LossHeatmap.Write(folder, Path.GetFileNameWithoutExtension(OutputFolder.ImageName(i, file.Classes![i])),
                tokenLosses[i], pictures[i], file.Classes[i]);
        Console.Error.WriteLine($"{pictures.Length} heatmap(s) written to {folder}");
    }
}
