using System.Security.Cryptography;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

/// <summary>`arpg download` end to end, in-process, against the local fake server.</summary>
public sealed class DownloadCommandTests : IAsyncLifetime
{
    private const string VqPath = "/FoundationVision/LlamaGen/resolve/main/vq_ds16_c2i.pt";

    private readonly byte[] content = File.ReadAllBytes(Fixtures.PathOf("tiny-fp16", "vq.pt"));
    private readonly FakeWeightServer server = new();
    private readonly TempDirectory cache = new();

    public DownloadCommandTests() => server.Serve(VqPath, content);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cache.Dispose();
    }

    private CliResult Download(params string[] models) =>
        CliInvocation.Run(["download", .. models, "--mirror", server.BaseUrl.AbsoluteUri, "--cache", cache.Path]);

    [Fact]
    public void An_unknown_model_exits_2_naming_it_and_the_valid_names()
    {
        var result = Download("NOPE");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: unknown model 'NOPE'; valid names: ARPG-L, ARPG-XL, ARPG-XXL, VQ-16, all", result.Error.Trim());
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void No_model_exits_2_listing_the_names()
    {
        var result = Download();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("ARPG-L, ARPG-XL, ARPG-XXL, VQ-16, or all", result.Error);
    }

    [Fact]
    public void A_bad_mirror_exits_2()
    {
        var result = CliInvocation.Run("download", "VQ-16", "--mirror", "not a url", "--cache", cache.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --mirror 'not a url': not a mirror base URL: give an absolute http or https URL such as https://hf-mirror.com",
            result.Error.Trim());
    }

    [Fact]
    public void VQ_16_downloads_into_the_cache_and_the_path_goes_to_stdout()
    {
        string expected = Path.Combine(cache.Path, "vq_ds16_c2i.pt");

        var result = Download("VQ-16");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Out.Trim());
        Assert.Equal(content, File.ReadAllBytes(expected));
        Assert.Equal(["vq_ds16_c2i.pt"], cache.Files());
        Assert.Contains($"sha256 {Convert.ToHexStringLower(SHA256.HashData(content))} (no digest known", result.Error);

        // A second run finds it and asks the server nothing.
        var again = Download("VQ-16");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(expected, again.Out.Trim());
        Assert.Contains("VQ-16: already in the cache", again.Error);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void A_full_digest_from_the_user_manifest_rejects_a_corrupt_copy_with_exit_3()
    {
        string digest = Convert.ToHexStringLower(SHA256.HashData(content));
        File.WriteAllText(Path.Combine(cache.Path, "manifest.json"), $$$"""{"VQ-16": {"sha256": "{{{digest}}}"}}""");
        server.FailNext(ServerFault.Corrupt);

        var result = Download("VQ-16");

        Assert.Equal(3, result.ExitCode);
        string errorLine = Assert.Single(result.Error.Split('\n'), l => l.StartsWith("error:"));
        Assert.StartsWith("error: checksum mismatch for vq_ds16_c2i.pt", errorLine);
        Assert.Empty(result.Out);
        Assert.Equal(["manifest.json"], cache.Files());

        var retry = Download("VQ-16");
        Assert.Equal(0, retry.ExitCode);
        Assert.Contains($"sha256 {digest} (matches the full digest in the manifest)", retry.Error);
    }

    [Fact]
    public void A_refused_connection_exits_3_with_one_line()
    {
        int port = FakeWeightServer.ClosedPort();

        var result = CliInvocation.Run("download", "VQ-16", "--mirror", $"http://127.0.0.1:{port}", "--cache", cache.Path);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal($"error: connection refused by 127.0.0.1:{port} (fetching http://127.0.0.1:{port}{VqPath})",
            result.Error.Split('\n').Single(l => l.StartsWith("error:")).TrimEnd());
    }
}
