namespace ArpgIlgpu.Imaging;

/// <summary>
/// An 8-bit RGB image in memory, row-major with interleaved channels: pixel (x, y) channel c is
/// <c>Pixels[(y * Width + x) * 3 + c]</c> ([H, W, 3], the layout PNG files and the official
/// sampler use).
/// </summary>
public sealed record RgbImage
{
    /// <summary>Wraps pixels [height, width, 3]; throws when the length does not match the size.</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width < 1 || height < 1 || pixels.Length != (long)width * height * 3)
            throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height} RGB image");
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>[Height, Width, 3] bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// The official sampler's float-to-pixel step: p = clamp(127.5 x + 128, 0, 255), truncated.
    /// images: [count, 3, height, width] floats (the VQ decoder's output, nominally in [-1, 1]).
    /// </summary>
    public static RgbImage[] FromModelOutput(ReadOnlySpan<float> images, int count, int height, int width)
    {
        int plane = height * width;
        if (images.Length != (long)count * 3 * plane)
            throw new ArgumentException($"{images.Length} values for {count} image(s) of 3x{height}x{width}");
        var result = new RgbImage[count];
        for (int b = 0; b < count; b++)
        {
            var pixels = new byte[plane * 3];
            for (int c = 0; c < 3; c++)
            {
                ReadOnlySpan<float> channel = images.Slice((b * 3 + c) * plane, plane);
                for (int p = 0; p < plane; p++)
                {
                    float v = 127.5f * channel[p] + 128f;
                    // written so that NaN (a failed decode) fails the comparison and becomes 0
                    pixels[p * 3 + c] = (byte)(v > 0f ? MathF.Min(v, 255f) : 0f);
                }
            }
            result[b] = new RgbImage(width, height, pixels);
        }
        return result;
    }

    /// <summary>
    /// The VQ encoder's input: x = p / 127.5 - 1 (LlamaGen's ToTensor then Normalize(0.5, 0.5)),
    /// channel-first: [3, Height, Width] floats in [-1, 1].
    /// </summary>
    public float[] ToModelInput()
    {
        int plane = Width * Height;
        var x = new float[3 * plane];
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                x[c * plane + p] = Pixels[p * 3 + c] / 127.5f - 1f;
        return x;
    }
}
