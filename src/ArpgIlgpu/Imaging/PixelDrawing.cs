namespace ArpgIlgpu.Imaging;

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>a * (1 - t) + b * t per channel, rounded: t = 0 is a, t = 1 is b.</summary>
    public static Rgb Mix(Rgb a, Rgb b, float t) => new(Lerp(a.R, b.R, t), Lerp(a.G, b.G, t), Lerp(a.B, b.B, t));

    private static byte Lerp(byte a, byte b, float t) => (byte)MathF.Round(a + (b - a) * t);
}

/// <summary>
/// The few pixel operations the explanation pictures need (filled and outlined rectangles,
/// nearest-neighbour enlargement, stacking), written on <see cref="RgbImage"/> directly.
/// </summary>
public static class PixelDrawing
{
    /// <summary>The colour of pixel (x, y).</summary>
    public static Rgb Get(RgbImage image, int x, int y)
    {
        int i = (y * image.Width + x) * 3;
        return new Rgb(image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
    }

    /// <summary>Sets pixel (x, y); a pixel outside the image is skipped.</summary>
    public static void Set(RgbImage image, int x, int y, Rgb colour)
    {
        if (x < 0 || y < 0 || x >= image.Width || y >= image.Height)
            return;
        int i = (y * image.Width + x) * 3;
        image.Pixels[i] = colour.R;
        image.Pixels[i + 1] = colour.G;
        image.Pixels[i + 2] = colour.B;
    }

    /// <summary>Fills the rectangle of <paramref name="width"/> x <paramref name="height"/> pixels at (x, y).</summary>
    public static void Fill(RgbImage image, int x, int y, int width, int height, Rgb colour)
    {
        for (int dy = 0; dy < height; dy++)
            for (int dx = 0; dx < width; dx++)
                Set(image, x + dx, y + dy, colour);
    }

    /// <summary>Draws the border, <paramref name="thickness"/> pixels wide, just inside the rectangle at (x, y).</summary>
    public static void Outline(RgbImage image, int x, int y, int width, int height, int thickness, Rgb colour)
    {
        Fill(image, x, y, width, thickness, colour);
        Fill(image, x, y + height - thickness, width, thickness, colour);
        Fill(image, x, y, thickness, height, colour);
        Fill(image, x + width - thickness, y, thickness, height, colour);
    }

    /// <summary>Each pixel becomes a <paramref name="factor"/> x <paramref name="factor"/> block.</summary>
    public static RgbImage Enlarge(RgbImage image, int factor)
    {
        if (factor == 1)
            return image with { };
        var large = new RgbImage(image.Width * factor, image.Height * factor, new byte[image.Pixels.Length * factor * factor]);
        for (int y = 0; y < large.Height; y++)
            for (int x = 0; x < large.Width; x++)
                Set(large, x, y, Get(image, x / factor, y / factor));
        return large;
    }

    /// <summary><paramref name="top"/> above <paramref name="bottom"/> (the same width).</summary>
    public static RgbImage Stack(RgbImage top, RgbImage bottom)
    {
        if (top.Width != bottom.Width)
            throw new ArgumentException($"images {top.Width} and {bottom.Width} pixels wide cannot be stacked");
        return new RgbImage(top.Width, top.Height + bottom.Height, [.. top.Pixels, .. bottom.Pixels]);
    }

    /// <summary>A blank image of one colour.</summary>
    public static RgbImage Blank(int width, int height, Rgb colour)
    {
        var image = new RgbImage(width, height, new byte[width * height * 3]);
        Fill(image, 0, 0, width, height, colour);
        return image;
    }
}
