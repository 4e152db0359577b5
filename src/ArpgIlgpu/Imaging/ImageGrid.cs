namespace ArpgIlgpu.Imaging;

/// <summary>Tiles images of one size into a single image, row by row (as torchvision's make_grid).</summary>
public static class ImageGrid
{
    /// <summary>
    /// Lays the images out left to right, top to bottom, <paramref name="columns"/> per row, with
    /// <paramref name="padding"/> black pixels around and between them. All images must share a size.
    /// </summary>
    public static RgbImage Combine(IReadOnlyList<RgbImage> images, int columns, int padding = 2)
    {
        if (images.Count == 0)
            throw new ArgumentException("a grid needs at least one image");
        if (columns < 1 || padding < 0)
            throw new ArgumentException($"grid of {columns} columns with padding {padding}");
        int w = images[0].Width, h = images[0].Height;
        if (images.Any(im => im.Width != w || im.Height != h))
            throw new ArgumentException("grid images must all have the same size");
        columns = Math.Min(columns, images.Count);
        int rows = (images.Count + columns - 1) / columns;
        int gridWidth = checked(columns * (w + padding) + padding), gridHeight = checked(rows * (h + padding) + padding);
        var pixels = new byte[checked(gridWidth * gridHeight * 3)];
        for (int i = 0; i < images.Count; i++)
        {
            int x0 = padding + i % columns * (w + padding), y0 = padding + i / columns * (h + padding);
            for (int y = 0; y < h; y++)
                Array.Copy(images[i].Pixels, y * w * 3, pixels, ((y0 + y) * gridWidth + x0) * 3, w * 3);
        }
        return new RgbImage(gridWidth, gridHeight, pixels);
    }
}
