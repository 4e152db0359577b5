using ArpgIlgpu.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

public sealed class MirrorAndCacheLocationTests
{
    private static readonly Uri Official = new("https://huggingface.co/hp-l33/ARPG/resolve/main/arpg_300m.pt");

    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/hp-l33/ARPG/resolve/main/arpg_300m.pt")]
    [InlineData("https://hf-mirror.com/", "https://hf-mirror.com/hp-l33/ARPG/resolve/main/arpg_300m.pt")]
    [InlineData("https://cache.lab.example/hf", "https://cache.lab.example/hf/hp-l33/ARPG/resolve/main/arpg_300m.pt")]
    public void A_mirror_replaces_the_hugging_face_prefix(string mirror, string expected)
    {
        Assert.Equal(new Uri(expected), MirrorUrl.Apply(Official, MirrorUrl.Parse(mirror, "--mirror")));
    }

    [Fact]
    public void Urls_off_hugging_face_and_no_mirror_leave_the_url_alone()
    {
        var elsewhere = new Uri("https://example.org/arpg_300m.pt");
        Assert.Equal(elsewhere, MirrorUrl.Apply(elsewhere, new Uri("http://127.0.0.1:1")));
        Assert.Equal(Official, MirrorUrl.Apply(Official, null));
    }

    [Theory]
    [InlineData("hf-mirror.com")]
    [InlineData("ftp://hf-mirror.com")]
    [InlineData("https://hf-mirror.com/?x=1")]
    [InlineData("")]
    public void A_bad_mirror_is_an_error_naming_where_it_came_from(string mirror)
    {
        var fromOption = Assert.Throws<InvalidParameterException>(() => MirrorUrl.Resolve(mirror, _ => null));
        Assert.Equal((MirrorUrl.Parameter, $"'{mirror}'"), (fromOption.Parameter, fromOption.Value));
        Assert.StartsWith("not a mirror base URL", fromOption.Problem);
    }

    [Fact]
    public void The_mirror_comes_from_the_option_else_the_environment()
    {
        string? Environment(string name) => name == "ARPG_MIRROR" ? "http://env.example" : null;

        Assert.Equal(new Uri("http://option.example"), MirrorUrl.Resolve("http://option.example", Environment));
        Assert.Equal(new Uri("http://env.example"), MirrorUrl.Resolve(null, Environment));
        Assert.Null(MirrorUrl.Resolve(null, _ => null));
        var error = Assert.Throws<InvalidParameterException>(() => MirrorUrl.Resolve(null, _ => "nonsense"));
        Assert.StartsWith("ARPG_MIRROR 'nonsense'", error.Message);
    }

    [Fact]
    public void The_cache_is_the_option_else_ARPG_HOME_else_the_platform_cache()
    {
        string root = Path.GetTempPath();
        string option = Path.Combine(root, "from-option");
        string home = Path.Combine(root, "from-arpg-home");
        string xdg = Path.Combine(root, "from-xdg");
        var all = new Dictionary<string, string> { ["ARPG_HOME"] = home, ["XDG_CACHE_HOME"] = xdg };

        Assert.Equal(option, CacheLocation.Resolve(option, all.GetValueOrDefault));
        Assert.Equal(home, CacheLocation.Resolve(null, all.GetValueOrDefault));
        if (OperatingSystem.IsWindows())
            return;
        Assert.Equal(Path.Combine(xdg, "arpg"), CacheLocation.Resolve(null, new Dictionary<string, string> { ["XDG_CACHE_HOME"] = xdg }.GetValueOrDefault));
        string homeCache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "arpg");
        Assert.Equal(homeCache, CacheLocation.Resolve(null, _ => null));
        // The XDG spec says to ignore a relative XDG_CACHE_HOME.
        Assert.Equal(homeCache, CacheLocation.Resolve(null, new Dictionary<string, string> { ["XDG_CACHE_HOME"] = "relative" }.GetValueOrDefault));
    }
}
