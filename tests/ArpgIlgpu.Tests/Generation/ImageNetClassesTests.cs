using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>The ImageNet-1k class names carried by the library: the standard list, lookups, search, suggestions.</summary>
public class ImageNetClassesTests
{
    [Fact]
    public void TheListIsTheStandardOneInLabelOrder()
    {
        Assert.Equal(1000, ImageNetClasses.All.Count);
        Assert.Equal(Enumerable.Range(0, 1000), ImageNetClasses.All.Select(c => c.Number));
        Assert.Equal(["tench", "Tinca tinca"], ImageNetClasses.Get(0).Names);
        Assert.Equal("n01440764", ImageNetClasses.Get(0).WordNetId);
        Assert.Equal("golden retriever", ImageNetClasses.Get(207).Name);
        Assert.Equal("volcano", ImageNetClasses.Get(980).Name);
        Assert.Equal(["toilet tissue", "toilet paper", "bathroom tissue"], ImageNetClasses.Get(999).Names);
        Assert.Equal(1000, ImageNetClasses.All.Select(c => c.WordNetId).Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageNetClasses.Get(1000));
    }

    [Theory]
    [InlineData("golden retriever", 207)]
    [InlineData("  Golden_Retriever ", 207)]
    [InlineData("GOLDEN   retriever", 207)]
    [InlineData("207", 207)]
    [InlineData("n09472597", 980)]
    [InlineData("toilet paper", 999)]
    [InlineData("Tinca tinca", 0)]
    [InlineData("shih tzu", 155)]
    [InlineData("jack_o_lantern", 607)]
    [InlineData("potters wheel", 739)]
    // the first name of 358 and a synonym of skunk (361): the first name wins
    [InlineData("polecat", 358)]
    public void FindTakesNamesSynonymsNumbersAndWordNetIds(string text, int expected) =>
        Assert.Equal(expected, ImageNetClasses.Find(text).Number);

    [Fact]
    public void EveryFileLabelFindsItsClassUnlessTheNameIsShared()
    {
        string[] shared = ["crane", "cardigan", "maillot"];
        foreach (ImageNetClass c in ImageNetClasses.All.Where(c => !shared.Contains(ImageNetClasses.Normalize(c.Name))))
            Assert.Equal(c.Number, ImageNetClasses.Find(c.FileLabel).Number);
        Assert.Equal("golden_retriever", ImageNetClasses.Get(207).FileLabel);
    }

    [Fact]
    public void ANameOfSeveralClassesIsAnErrorListingThem()
    {
        var e = Assert.Throws<UnknownClassException>(() => ImageNetClasses.Find("crane"));
        Assert.True(e.Ambiguous);
        Assert.Equal([134, 517], e.Candidates.Select(c => c.Number));
        Assert.Contains("134 crane", e.Message);
        Assert.Equal([387, 388], Assert.Throws<UnknownClassException>(() => ImageNetClasses.Find("panda")).Candidates.Select(c => c.Number));
    }

    [Fact]
    public void AnUnknownNameIsAnErrorWithTheClosestNames()
    {
        var e = Assert.Throws<UnknownClassException>(() => ImageNetClasses.Find("golden retreiver"));
        Assert.False(e.Ambiguous);
        Assert.Equal(207, e.Candidates[0].Number);
        Assert.Contains("'golden retreiver' is not an ImageNet class name (closest: 207 golden retriever", e.Message);
        Assert.Equal(3, e.Candidates.Count);
        Assert.Contains(ImageNetClasses.Closest("retriever", 3), c => c.Name == "golden retriever");
        Assert.Throws<InvalidInputException>(() => ImageNetClasses.Find("1000"));
        // a sign or separator inside a number is no name either: "-3" is not class 3
        foreach (string number in new[] { "-3", "+3", "3_", "2-07" })
            Assert.Throws<UnknownClassException>(() => ImageNetClasses.Find(number));
    }

    [Fact]
    public void SearchFindsEveryClassWithTheWordInAName()
    {
        Assert.Equal([205, 206, 207, 208, 209], ImageNetClasses.Search("Retriever").Select(c => c.Number));
        Assert.Equal([980], ImageNetClasses.Search("980").Select(c => c.Number));
        Assert.Empty(ImageNetClasses.Search("1000"));
        Assert.Empty(ImageNetClasses.Search("xyzzy"));
    }
}
