namespace ArpgIlgpu.Imaging;

/// <summary>
/// A 3 x 5 pixel bitmap font (digits, capital letters and a few signs) for the counters and
/// legends drawn into explanation pictures, so that no drawing library is needed. Each glyph is
/// five rows of three cells, '#' set; lower-case letters draw as capitals, unknown characters
/// as blanks. A glyph advances 4 pixels (a blank column between glyphs), times the scale.
/// </summary>
public static class PixelFont
{
    /// <summary>Glyph height in font pixels.</summary>
    public const int Height = 5;

    /// <summary>The horizontal advance of one character in font pixels.</summary>
    public const int Advance = 4;

    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['0'] = ["###", "#.#", "#.#", "#.#", "###"], ['1'] = [".#.", "##.", ".#.", ".#.", "###"],
        ['2'] = ["###", "..#", "###", "#..", "###"], ['3'] = ["###", "..#", ".##", "..#", "###"],
        ['4'] = ["#.#", "#.#", "###", "..#", "..#"], ['5'] = ["###", "#..", "###", "..#", "###"],
        ['6'] = ["###", "#..", "###", "#.#", "###"], ['7'] = ["###", "..#", "..#", ".#.", ".#."],
        ['8'] = ["###", "#.#", "###", "#.#", "###"], ['9'] = ["###", "#.#", "###", "..#", "###"],
        ['A'] = [".#.", "#.#", "###", "#.#", "#.#"], ['B'] = ["##.", "#.#", "##.", "#.#", "##."],
        ['C'] = [".##", "#..", "#..", "#..", ".##"], ['D'] = ["##.", "#.#", "#.#", "#.#", "##."],
        ['E'] = ["###", "#..", "##.", "#..", "###"], ['F'] = ["###", "#..", "##.", "#..", "#.."],
        ['G'] = [".##", "#..", "#.#", "#.#", ".##"], ['H'] = ["#.#", "#.#", "###", "#.#", "#.#"],
        ['I'] = ["###", ".#.", ".#.", ".#.", "###"], ['J'] = ["..#", "..#", "..#", "#.#", ".#."],
        ['K'] = ["#.#", "#.#", "##.", "#.#", "#.#"], ['L'] = ["#..", "#..", "#..", "#..", "###"],
        ['M'] = ["#.#", "###", "###", "#.#", "#.#"], ['N'] = ["##.", "#.#", "#.#", "#.#", "#.#"],
        ['O'] = [".#.", "#.#", "#.#", "#.#", ".#."], ['P'] = ["##.", "#.#", "##.", "#..", "#.."],
        ['Q'] = [".#.", "#.#", "#.#", "##.", ".##"], ['R'] = ["##.", "#.#", "##.", "#.#", "#.#"],
        ['S'] = [".##", "#..", ".#.", "..#", "##."], ['T'] = ["###", ".#.", ".#.", ".#.", ".#."],
        ['U'] = ["#.#", "#.#", "#.#", "#.#", "###"], ['V'] = ["#.#", "#.#", "#.#", "#.#", ".#."],
        ['W'] = ["#.#", "#.#", "###", "###", "#.#"], ['X'] = ["#.#", "#.#", ".#.", "#.#", "#.#"],
        ['Y'] = ["#.#", "#.#", ".#.", ".#.", ".#."], ['Z'] = ["###", "..#", ".#.", "#..", "###"],
        ['/'] = ["..#", "..#", ".#.", "#..", "#.."], ['+'] = ["...", ".#.", "###", ".#.", "..."],
        ['-'] = ["...", "...", "###", "...", "..."], ['.'] = ["...", "...", "...", "...", ".#."],
        [':'] = ["...", ".#.", "...", ".#.", "..."], ['='] = ["...", "###", "...", "###", "..."],
        ['%'] = ["#.#", "..#", ".#.", "#..", "#.#"],
    };

    /// <summary>The width in pixels of <paramref name="text"/> at <paramref name="scale"/> (no trailing blank column).</summary>
    public static int Width(string text, int scale) => text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); pixels outside the image are skipped.</summary>
    public static void Draw(RgbImage image, string text, int x, int y, int scale, Rgb colour)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!Glyphs.TryGetValue(char.ToUpperInvariant(text[i]), out string[]? glyph))
                continue;
            for (int row = 0; row < Height; row++)
                for (int column = 0; column < 3; column++)
                    if (glyph[row][column] == '#')
                        PixelDrawing.Fill(image, x + (i * Advance + column) * scale, y + row * scale, scale, scale, colour);
        }
    }
}
