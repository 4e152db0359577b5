using System.Text.Json;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation.Explain;

/// <summary>What explain.json holds: the image, its canvas, the positions known before the first step, and every step.</summary>
/// <param name="ClassLabel">The class generated.</param>
/// <param name="ImageIndex">The image's index in the request (its random stream).</param>
/// <param name="Rows">Token rows.</param>
/// <param name="Columns">Token columns.</param>
/// <param name="KnownPositions">Positions known before the first step (an edit's prefill).</param>
/// <param name="Steps">The steps: positions, tokens, probabilities, guidance scale, schedule.</param>
public sealed record ExplainJson(int ClassLabel, int ImageIndex, int Rows, int Columns, int[] KnownPositions,
    IReadOnlyList<TraceStep> Steps);

/// <summary>
/// Writes the explanation of one image into a folder: steps.gif (one frame per step),
/// order.png, confidence.png and explain.json (see <see cref="ExplainPictures"/>).
/// </summary>
public static class ExplanationFiles
{
    /// <summary>The file names written.</summary>
    public const string Steps = "steps.gif", Order = "order.png", Confidence = "confidence.png", Json = "explain.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// Decodes one frame per step with <paramref name="tokenizer"/> and writes the four files;
    /// returns the number of VQ decodes it ran (the steps).
    /// </summary>
    public static int Write(string folder, DecodingTrace trace, VqModel tokenizer, int classLabel, int imageIndex)
    {
        RgbImage[] decoded = TokenPictures.Decode(tokenizer, ExplainPictures.FrameCanvases(trace), trace.Rows, trace.Columns);
        Write(folder, trace, decoded, classLabel, imageIndex);
        return decoded.Length;
    }

    /// <summary>Writes the four files from the decoded frames (<see cref="ExplainPictures.FrameCanvases"/>, decoded).</summary>
    public static void Write(string folder, DecodingTrace trace, IReadOnlyList<RgbImage> decoded, int classLabel, int imageIndex)
    {
        Directory.CreateDirectory(folder);
        AnimatedGif.Write(Path.Combine(folder, Steps), decoded.Select((d, k) => ExplainPictures.Frame(trace, k, d)).ToArray());
        PngFile.Write(Path.Combine(folder, Order), ExplainPictures.Order(trace, decoded[^1]));
        PngFile.Write(Path.Combine(folder, Confidence), ExplainPictures.Confidence(trace, decoded[^1]));
        int[] known = Enumerable.Range(0, trace.InitialKnown.Length).Where(p => trace.InitialKnown[p]).ToArray();
        var json = new ExplainJson(classLabel, imageIndex, trace.Rows, trace.Columns, known, trace.Steps);
        AtomicFile.Write(Path.Combine(folder, Json), temp => File.WriteAllText(temp, JsonSerializer.Serialize(json, JsonOptions)));
    }
}
