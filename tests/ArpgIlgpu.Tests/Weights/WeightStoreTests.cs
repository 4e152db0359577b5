using ArpgIlgpu.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

public sealed class WeightStoreTests : IDisposable
{
    // A file name no real checkout has in weights/, so nothing outside the test can be found.
    private readonly string fileName = $"test-{Guid.NewGuid():N}.pt";
    private readonly TempDirectory cache = new();
    private readonly TempDirectory elsewhere = new();
    private readonly WeightStore store;

    public WeightStoreTests()
    {
        WeightManifest manifest = WeightManifest.Parse($$$"""
            {"TEST": {"file": "{{{fileName}}}", "url": "https://huggingface.co/test-org/test/resolve/main/{{{fileName}}}"}}
            """, "test manifest");
        store = new WeightStore(cache.Path, manifest);
    }

    public void Dispose()
    {
        cache.Dispose();
        elsewhere.Dispose();
    }

    [Fact]
    public void Find_returns_null_when_the_file_is_nowhere()
    {
        Assert.Null(store.Find("TEST", [elsewhere.Path]));
    }

    [Fact]
    public void Find_returns_the_file_in_the_cache()
    {
        string cached = Path.Combine(cache.Path, fileName);
        File.WriteAllText(cached, "weights");

        Assert.Equal(cached, store.Find("TEST"));
        Assert.Equal(cached, store.CachePath("test"));
    }

    [Fact]
    public void Find_prefers_a_folder_the_caller_names_over_the_cache()
    {
        string weights = Directory.CreateDirectory(Path.Combine(elsewhere.Path, "weights")).FullName;
        File.WriteAllText(Path.Combine(cache.Path, fileName), "cached");
        File.WriteAllText(Path.Combine(weights, fileName), "local");

        Assert.Equal(Path.Combine(weights, fileName), store.Find("TEST", [weights]));
    }

    [Fact]
    public void The_missing_files_message_lists_every_path_searched_and_how_to_get_the_file()
    {
        string message = store.MissingFilesMessage(["TEST"], [elsewhere.Path]);

        Assert.StartsWith($"missing weights: TEST ({fileName}) is not at ", message);
        Assert.Contains(Path.Combine(elsewhere.Path, fileName), message);
        Assert.Contains(Path.Combine(cache.Path, fileName), message);
        Assert.Contains(Path.Combine(Environment.CurrentDirectory, "weights", fileName), message);
        Assert.Contains(Path.Combine(Fixtures.RepoRoot, "weights", fileName), message);
        Assert.Contains("run `arpg download TEST`", message);
        Assert.Contains($"https://huggingface.co/test-org/test/resolve/main/{fileName}", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public async Task EnsureAsync_returns_a_file_it_finds_without_touching_the_network()
    {
        string cached = Path.Combine(cache.Path, fileName);
        File.WriteAllText(cached, "weights");
        // Nothing listens on this port: any request would fail the call.
        var options = new DownloadOptions { Mirror = new Uri($"http://127.0.0.1:{FakeWeightServer.ClosedPort()}") };

        Assert.Equal(cached, await store.EnsureAsync("TEST", options, null, CancellationToken.None));
    }

    [Fact]
    public async Task EnsureAsync_downloads_a_missing_file_into_the_cache()
    {
        byte[] content = File.ReadAllBytes(Fixtures.PathOf("tiny-fp16", "arpg.pt"));
        await using var server = new FakeWeightServer();
        server.Serve($"/test-org/test/resolve/main/{fileName}", content);

        string path = await store.EnsureAsync("TEST", new DownloadOptions { Mirror = server.BaseUrl }, null, CancellationToken.None);

        Assert.Equal(Path.Combine(cache.Path, fileName), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(path, store.Find("TEST"));
    }
}
