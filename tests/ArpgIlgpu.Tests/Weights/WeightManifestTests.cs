using ArpgIlgpu.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

public sealed class WeightManifestTests
{
    [Fact]
    public void The_official_manifest_lists_the_released_files_and_only_what_is_known()
    {
        WeightManifest official = WeightManifest.Official;

        Assert.Equal(["ARPG-L", "ARPG-XL", "ARPG-XXL", "VQ-16"], official.Names);
        Assert.Equal(new WeightFile("ARPG-L", "arpg_300m.pt",
            new Uri("https://huggingface.co/hp-l33/ARPG/resolve/main/arpg_300m.pt"), null, "c0f32ba0"), official.Get("ARPG-L"));
        Assert.Equal(new WeightFile("ARPG-XL", "arpg_700m.pt",
            new Uri("https://huggingface.co/hp-l33/ARPG/resolve/main/arpg_700m.pt"), null, "6fcd2dc6"), official.Get("ARPG-XL"));
        Assert.Equal(new WeightFile("ARPG-XXL", "arpg_1b.pt",
            new Uri("https://huggingface.co/hp-l33/ARPG/resolve/main/arpg_1b.pt"), null, null), official.Get("ARPG-XXL"));
        Assert.Equal(new WeightFile("VQ-16", "vq_ds16_c2i.pt",
            new Uri("https://huggingface.co/FoundationVision/LlamaGen/resolve/main/vq_ds16_c2i.pt"), null, null), official.Get("VQ-16"));
        Assert.False(official.Get("ARPG-L").HasFullDigest);
    }

    [Fact]
    public void The_embedded_manifest_is_the_one_in_weights()
    {
        string path = Path.Combine(Fixtures.RepoRoot, "weights", WeightManifest.FileName);
        WeightManifest fromRepository = WeightManifest.Parse(File.ReadAllText(path), path);

        Assert.Equal(fromRepository.Files, WeightManifest.Official.Files);
    }

    [Fact]
    public void An_unknown_model_is_named_with_the_valid_names()
    {
        var error = Assert.Throws<InvalidInputException>(() => WeightManifest.Official.Get("ARPG-M"));

        Assert.Equal("unknown model 'ARPG-M'; valid names: ARPG-L, ARPG-XL, ARPG-XXL, VQ-16, all", error.Message);
    }

    [Fact]
    public void Select_expands_all_ignores_case_and_drops_repeats()
    {
        Assert.Equal(WeightManifest.Official.Files, WeightManifest.Official.Select(["all"]));
        Assert.Equal(["ARPG-L", "VQ-16"], WeightManifest.Official.Select(["arpg-l", "VQ-16", "ARPG-L"]).Select(f => f.Model));
    }

    [Fact]
    public void A_user_manifest_overrides_only_the_fields_it_names_and_can_add_models()
    {
        using var cache = new TempDirectory();
        string fullDigest = new('a', 64);
        File.WriteAllText(Path.Combine(cache.Path, "manifest.json"), $$"""
            {
              "arpg-l": { "sha256": "{{fullDigest.ToUpperInvariant()}}", "size": 123 },
              "MY-VQ": { "file": "my_vq.pt", "url": "http://example.org/my_vq.pt" }
            }
            """);

        WeightManifest manifest = WeightManifest.Official.WithUserManifest(cache.Path);

        WeightFile large = manifest.Get("ARPG-L");
        Assert.Equal(new WeightFile("ARPG-L", "arpg_300m.pt", WeightManifest.Official.Get("ARPG-L").Url, 123, fullDigest), large);
        Assert.True(large.HasFullDigest);
        Assert.Equal(WeightManifest.Official.Get("ARPG-XL"), manifest.Get("ARPG-XL"));
        Assert.Equal(new WeightFile("MY-VQ", "my_vq.pt", new Uri("http://example.org/my_vq.pt"), null, null), manifest.Get("my-vq"));
        Assert.Equal(["ARPG-L", "ARPG-XL", "ARPG-XXL", "VQ-16", "MY-VQ"], manifest.Names);
    }

    [Fact]
    public void Without_a_user_manifest_the_official_one_is_used()
    {
        using var cache = new TempDirectory();
        Assert.Same(WeightManifest.Official, WeightManifest.Official.WithUserManifest(cache.Path));
    }

    [Theory]
    [InlineData("""{"ARPG-L": {"file": "../../etc/passwd"}}""", "'file' must be a bare file name")]
    [InlineData("""{"ARPG-L": {"file": ".."}}""", "'file' must be a bare file name")]
    [InlineData("""{"ARPG-L": {"url": "file:///etc/passwd"}}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"ARPG-L": {"sha256": "c0f3"}}""", "'sha256' must be 8 to 64 hex digits or null")]
    [InlineData("""{"ARPG-L": {"sha256": "not-hex-at-all"}}""", "'sha256' must be 8 to 64 hex digits or null")]
    [InlineData("""{"ARPG-L": {"size": -5}}""", "'size' must be a positive number of bytes or null")]
    [InlineData("""{"ARPG-L": {"sha265": "c0f32ba0"}}""", "unknown field 'sha265'")]
    [InlineData("""{"NEW": {"file": "new.pt"}}""", "a new model needs both 'file' and 'url'")]
    [InlineData("""{"all": {"file": "x.pt", "url": "http://example.org/x.pt"}}""", "'all' cannot be a model name")]
    [InlineData("""["ARPG-L"]""", "must be a JSON object keyed by model name")]
    [InlineData("""{"ARPG-L": """, "is not valid JSON")]
    public void A_bad_user_manifest_is_an_error_naming_the_file_and_the_problem(string json, string problem)
    {
        using var cache = new TempDirectory();
        string path = Path.Combine(cache.Path, "manifest.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<InvalidInputException>(() => WeightManifest.Official.WithUserManifest(cache.Path));

        Assert.Contains(path, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_digest_matches_in_full_or_by_prefix()
    {
        string actual = new string('0', 8) + new string('f', 56);
        WeightFile Entry(string? sha256) => new("T", "t.pt", new Uri("http://example.org/t.pt"), null, sha256);

        Assert.True(Entry(null).DigestMatches(actual));
        Assert.True(Entry("00000000").DigestMatches(actual));
        Assert.True(Entry(actual).DigestMatches(actual));
        Assert.False(Entry("00000001").DigestMatches(actual));
        Assert.False(Entry(new string('0', 64)).DigestMatches(actual));
    }
}
