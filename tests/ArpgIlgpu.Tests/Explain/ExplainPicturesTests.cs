using System.Text.Json;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Generation.Explain;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ArpgIlgpu.Tests.Vq;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Explain;

/// <summary>
/// The explanation of a fixture run (the official order, argmax): one frame per step, grey
/// exactly where no token is known yet; the order map and the confidence map hold the decoder's
/// steps and the sampler's probabilities; the files carry the same.
/// </summary>
public sealed class ExplainPicturesTests : IDisposable
{
    private readonly FixtureSet f = new("tiny");
    private readonly VqFixture vq = new("tiny", TestDevices.Get("cpu"));
    private readonly ArpgTransformer model;
    private readonly TraceRecorder recorder = new();
    private readonly List<DecodedStep> steps = [];
    private readonly int[][] tokens;
    private readonly int[] order;

    public ExplainPicturesTests()
    {
        model = f.LoadTransformer(TestDevices.Get("cpu"));
        order = f.Ints("gen.order");
        var options = new GenerationOptions
        {
            Steps = f.Steps, Cfg = f.Cfg, CfgSchedule = f.CfgSchedule, Schedule = f.SampleSchedule,
            Sampling = new SamplingSettings { Temperature = 0f }, Order = order,
        };
        var both = new StepObserver(s => { steps.Add(s); recorder.Observer.OnStep(s); }, Probabilities: true);
        tokens = new ParallelDecoder(model) { Observer = both }.Generate(f.Ints("gen.classes"), options);
    }

    private int Grid => f.Arpg.GridSize;

    [Fact]
    public void FramesAreOnePerStepAndGreyExactlyWhereNothingIsKnownYet()
    {
        DecodingTrace trace = recorder.Trace(1, Grid);
        RgbImage[] decoded = TokenPictures.Decode(vq.Model, ExplainPictures.FrameCanvases(trace));
        RgbImage[] frames = decoded.Select((d, k) => ExplainPictures.Frame(trace, k, d)).ToArray();

        Assert.Equal(f.Steps, frames.Length);
        int cell = frames[0].Width / Grid, done = 0;
        for (int k = 0; k < frames.Length; k++)
        {
            done += trace.Steps[k].TokensThisStep;
            var generated = order[..done].ToHashSet();
            for (int p = 0; p < Grid * Grid; p++)
                Assert.True(AllGrey(frames[k], p % Grid * cell, p / Grid * cell, cell) != generated.Contains(p),
                    $"frame {k}, cell {p}: grey must mean not generated yet");
        }
        // the last frame is the final picture, enlarged
        RgbImage final = PixelDrawing.Enlarge(TokenPictures.Decode(vq.Model, [tokens[1]])[0], ExplainPictures.Enlargement(decoded[0].Width, decoded[0].Height));
        Assert.Equal(final.Pixels, frames[^1].Pixels.AsSpan(0, final.Pixels.Length).ToArray());
    }

    [Fact]
    public void TheOrderMapHoldsTheDecodersStepsAndTheConfidenceMapTheSamplersProbabilities()
    {
        DecodingTrace trace = recorder.Trace(0, Grid);
        int[] counts = DecodingSchedule.TokensPerStep(order.Length, f.Steps, f.SampleSchedule);
        int[] expected = new int[order.Length];
        for (int s = 0, i = 0; s < counts.Length; s++)
            for (int j = 0; j < counts[s]; j++)
                expected[order[i++]] = s;
        Assert.Equal(expected, trace.StepOfPosition());

        float[] confidence = trace.ProbabilityOfPosition();
        foreach (DecodedStep s in steps)
            for (int i = 0; i < s.Positions.Length; i++)
                Assert.Equal(s.Probabilities![0][i], confidence[s.Positions[i]]);

        // the pictures: each cell's colour is the scale's at its value, over the final picture
        RgbImage final = TokenPictures.Decode(vq.Model, [trace.FinalTokens])[0];
        RgbImage orderMap = ExplainPictures.Order(trace, final), confidenceMap = ExplainPictures.Confidence(trace, final);
        int factor = ExplainPictures.Enlargement(final.Width, final.Height), cell = final.Width / Grid;
        for (int p = 0; p < Grid * Grid; p++)
        {
            int x = p % Grid * cell + cell / 2, y = p / Grid * cell + cell / 2;
            Rgb background = PixelDrawing.Get(final, x, y);
            Assert.Equal(ExplainPictures.ColourOf(background, expected[p], 0, f.Steps - 1), PixelDrawing.Get(orderMap, x * factor, y * factor));
            Assert.Equal(ExplainPictures.ColourOf(background, confidence[p], 0, 1), PixelDrawing.Get(confidenceMap, x * factor, y * factor));
        }
    }

    [Fact]
    public void TheFilesHoldOneFramePerStepAndTheStepsNumbers()
    {
        using var dir = new TempDirectory();
        DecodingTrace trace = recorder.Trace(0, Grid);
        Assert.Equal(f.Steps, ExplanationFiles.Write(dir.Path, trace, vq.Model, classLabel: 3, imageIndex: 0));

        using (Image<Rgb24> gif = Image.Load<Rgb24>(dir.File(ExplanationFiles.Steps)))
            Assert.Equal(f.Steps, gif.Frames.Count);
        Assert.True(File.Exists(dir.File(ExplanationFiles.Order)) && File.Exists(dir.File(ExplanationFiles.Confidence)));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(dir.File(ExplanationFiles.Json)));
        JsonElement[] written = json.RootElement.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(f.Steps, written.Length);
        for (int k = 0; k < written.Length; k++)
        {
            Assert.Equal(steps[k].Positions, written[k].GetProperty("positions").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(steps[k].Tokens[0], written[k].GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(steps[k].Probabilities![0], written[k].GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()));
            Assert.Equal(steps[k].GuidanceScale, written[k].GetProperty("guidanceScale").GetSingle());
            Assert.Equal(steps[k].MaskRatio, written[k].GetProperty("maskRatio").GetDouble());
            Assert.Equal(steps[k].Positions.Length, written[k].GetProperty("tokensThisStep").GetInt32());
        }
    }

    /// <summary>An edit's windows land on the canvas: the steps fill exactly the positions that were not known.</summary>
    [Fact]
    public void AnEditsTraceCoversExactlyTheUnknownPositions()
    {
        var editRecorder = new TraceRecorder();
        var editor = new ImageEditor(model, vq.Model) { Observer = editRecorder.Observer };
        RgbImage picture = TokenPictures.Decode(vq.Model, [tokens[0]])[0];
        var progress = new Reported<WindowedCompletion.Window>(w => editRecorder.EnterWindow(w.Index, w.Top, w.Left, Grid));
        EditResult result = editor.Outpaint(picture, 16, 0, 0, 16, 3, new GenerationOptions { Steps = 4 }, keepOriginal: false, progress);

        DecodingTrace trace = editRecorder.Trace(0, result.Canvas.Rows, result.Canvas.Columns, result.Canvas.Tokens, result.InputKnown);
        int[] filled = trace.Steps.SelectMany(s => s.Positions).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, result.InputKnown.Length).Where(p => !result.InputKnown[p]), filled);
        Assert.Equal(result.Canvas.Tokens, trace.FinalTokens);
        Assert.Equal(result.Windows.Count, trace.Steps.Select(s => s.Window).Distinct().Count());
    }

    private static bool AllGrey(RgbImage image, int x0, int y0, int size)
    {
        for (int y = y0; y < y0 + size; y++)
            for (int x = x0; x < x0 + size; x++)
                if (PixelDrawing.Get(image, x, y) != ExplainPictures.Unknown)
                    return false;
        return true;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Reported<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    public void Dispose()
    {
        model.Dispose();
        vq.Dispose();
        f.Dispose();
    }
}
