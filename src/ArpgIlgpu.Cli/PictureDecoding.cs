using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;

namespace ArpgIlgpu.Cli;

/// <summary>Token grids to pictures through the VQ tokenizer, with a bar (a 256x256 picture takes seconds on a CPU).</summary>
internal static class PictureDecoding
{
    public static RgbImage[] Decode(ProgressDisplay display, string label, ImagePipeline pipeline, IReadOnlyList<int[]> tokens,
        CancellationToken cancel)
    {
        using ProgressBar bar = display.Start($"{label}: VQ decoding", tokens.Count, "images");
        return pipeline.Decode(tokens, new SynchronousProgress<int>(done => bar.Report(done)), cancel);
    }
}
