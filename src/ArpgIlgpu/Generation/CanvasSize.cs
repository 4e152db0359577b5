using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The size of an edit's output, settled before anything runs: computed in 64-bit arithmetic
/// from the user's 32-bit numbers (margins of two billion pixels, a scale of two billion: no
/// sum of three or product of two of them overflows a long),
/// each side at most <see cref="ImageLoader.MaxSide"/> pixels, and the VQ's decode of the whole
/// canvas within the device's memory. An edit too large is refused in one line before its
/// first window, not after thousands of windows when the decode finally finds it too large.
/// </summary>
public static class CanvasSize
{
    /// <summary>
    /// The token grid (rows, columns) of an output of <paramref name="height"/> x
    /// <paramref name="width"/> pixels; <paramref name="what"/> says how it came about, for the message.
    /// </summary>
    public static (int Rows, int Columns) Require(VqModel tokenizer, long height, long width, string what)
    {
        int f = tokenizer.Config.DownsampleFactor;
        if (height < f || width < f || height > ImageLoader.MaxSide || width > ImageLoader.MaxSide)
            throw new InvalidInputException(
                $"{what}: the output would be {width}x{height} pixels; each side must be {f} to {ImageLoader.MaxSide} pixels");
        int rows = (int)(height / f), columns = (int)(width / f);
        tokenizer.RequireDecodable(rows, columns);
        return (rows, columns);
    }
}
