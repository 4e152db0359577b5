using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>The generation orders: hand-written 4x4 sequences and structural checks on 16x16.</summary>
public class GenerationOrderTests
{
    public static IEnumerable<object[]> FourByFour() =>
    [
        ["raster", new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 }],
        // clockwise from the top-left corner, ring by ring, ending in the centre
        ["spiral-in", new[] { 0, 1, 2, 3, 7, 11, 15, 14, 13, 12, 8, 4, 5, 6, 10, 9 }],
        ["spiral-out", new[] { 9, 10, 6, 5, 4, 8, 12, 13, 14, 15, 11, 7, 3, 2, 1, 0 }],
        // Morton order: 2x2 blocks, column bit lowest
        ["z-curve", new[] { 0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15 }],
        // checkerboard: (row + col) even first, then odd, each in raster order
        ["alternate", new[] { 0, 2, 5, 7, 8, 10, 13, 15, 1, 3, 4, 6, 9, 11, 12, 14 }],
    ];

    [Theory, MemberData(nameof(FourByFour))]
    public void FourByFourOrdersAreAsWrittenByHand(string name, int[] expected) =>
        Assert.Equal(expected, GenerationOrders.Fixed(name, 4));

    [Theory]
    [InlineData("raster"), InlineData("spiral-in"), InlineData("spiral-out"), InlineData("z-curve"), InlineData("alternate")]
    public void SixteenBySixteenOrdersArePermutationsWithTheirShape(string name)
    {
        int[] order = GenerationOrders.Fixed(name, 16);
        Assert.Equal(Enumerable.Range(0, 256), order.Order());
        (int row, int col) Cell(int p) => (p / 16, p % 16);
        switch (name)
        {
            case "raster":
                Assert.Equal(Enumerable.Range(0, 256), order);
                break;
            case "spiral-in":
                Assert.Equal(Enumerable.Range(0, 16), order[..16]); // the top row first
                Assert.Contains(Cell(order[^1]), new[] { (7, 7), (7, 8), (8, 7), (8, 8) }); // ends in the centre
                AssertNeighbours(order);
                break;
            case "spiral-out":
                Assert.Equal(GenerationOrders.Fixed("spiral-in", 16).Reverse(), order);
                break;
            case "z-curve":
                Assert.Equal(new[] { 0, 1, 16, 17 }, order[..4]); // the top-left 2x2 block
                Assert.All(order[..64], p => Assert.True(Cell(p).row < 8 && Cell(p).col < 8)); // then the top-left quadrant
                break;
            case "alternate":
                Assert.All(order[..128], p => Assert.Equal(0, (Cell(p).row + Cell(p).col) % 2));
                break;
        }
    }

    [Fact]
    public void RandomOrdersArePermutationsNamedByTheSeed()
    {
        int[] a = RandomOrder.Draw(256, 1), again = RandomOrder.Draw(256, 1), b = RandomOrder.Draw(256, 2);
        Assert.Equal(Enumerable.Range(0, 256), a.Order());
        Assert.Equal(a, again);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, RandomOrder.Draw(256, 1, RandomOrder.PrefillStream));
    }

    [Fact]
    public void NonPermutationsAreRefusedNamingTheSource()
    {
        var e = Assert.Throws<InvalidParameterException>(() => GenerationOrders.RequirePermutation([0, 1, 1, 3], 4, "orders"));
        Assert.Equal("orders: position 1 appears twice; an order must be a permutation of 0..3", e.Message);
        Assert.Throws<InvalidParameterException>(() => GenerationOrders.RequirePermutation([0, 1, 2], 4, "orders"));
        Assert.Throws<InvalidParameterException>(() => GenerationOrders.RequirePermutation([0, 1, 2, 4], 4, "orders"));
    }

    /// <summary>A spiral walks: each next cell touches the previous one (up, down, left or right).</summary>
    private static void AssertNeighbours(int[] order)
    {
        for (int i = 1; i < order.Length; i++)
        {
            int dr = Math.Abs(order[i] / 16 - order[i - 1] / 16), dc = Math.Abs(order[i] % 16 - order[i - 1] % 16);
            Assert.Equal(1, dr + dc);
        }
    }
}
