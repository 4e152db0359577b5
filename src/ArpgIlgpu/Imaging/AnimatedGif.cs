using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace ArpgIlgpu.Imaging;

/// <summary>Writes pictures of one size as an animated GIF that loops, atomically (see <see cref="AtomicFile"/>).</summary>
public static class AnimatedGif
{
    /// <summary>
    /// Writes <paramref name="frames"/>, each shown <paramref name="delay"/> hundredths of a second
    /// and the last one <paramref name="lastDelay"/>. Each frame gets its own 256-colour palette
    /// (Wu's quantizer, no dithering: flat areas stay flat).
    /// </summary>
    public static void Write(string path, IReadOnlyList<RgbImage> frames, int delay = 60, int lastDelay = 250)
    {
        if (frames.Count == 0 || frames.Any(f => f.Width != frames[0].Width || f.Height != frames[0].Height))
            throw new ArgumentException("a GIF needs at least one frame, all of one size");
        AtomicFile.Write(path, temp =>
        {
            using Image<Rgb24> gif = Image.LoadPixelData<Rgb24>(frames[0].Pixels, frames[0].Width, frames[0].Height);
            gif.Metadata.GetGifMetadata().RepeatCount = 0;
            for (int i = 1; i < frames.Count; i++)
            {
                using Image<Rgb24> frame = Image.LoadPixelData<Rgb24>(frames[i].Pixels, frames[i].Width, frames[i].Height);
                gif.Frames.AddFrame(frame.Frames.RootFrame);
            }
            for (int i = 0; i < gif.Frames.Count; i++)
                gif.Frames[i].Metadata.GetGifMetadata().FrameDelay = i == gif.Frames.Count - 1 ? lastDelay : delay;
            gif.SaveAsGif(temp, new GifEncoder
            {
                ColorTableMode = GifColorTableMode.Local,
                Quantizer = new WuQuantizer(new QuantizerOptions { Dither = null }),
            });
        });
    }
}
