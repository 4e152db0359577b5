using System.Diagnostics;
using System.Security.Cryptography;
using ArpgIlgpu.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

/// <summary>
/// Downloads from a local fake server: the served file is a real fixture checkpoint, and the
/// expected digest is computed here with SHA256.HashData, independently of the downloader.
/// </summary>
public sealed class WeightDownloaderTests : IAsyncLifetime
{
    private const string ServedPath = "/test-org/test-model/resolve/main/arpg.pt";

    private readonly byte[] content = File.ReadAllBytes(Fixtures.PathOf("tiny-fp16", "arpg.pt"));
    private readonly FakeWeightServer server = new();
    private readonly TempDirectory cache = new();
    private readonly string digest;

    public WeightDownloaderTests()
    {
        digest = Convert.ToHexStringLower(SHA256.HashData(content));
        server.Serve(ServedPath, content);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cache.Dispose();
    }

    private WeightFile Entry(string? sha256, long? size = null) =>
        new("TEST", "arpg.pt", new Uri(MirrorUrl.OfficialPrefix + ServedPath), size, sha256);

    private DownloadOptions Options(TimeSpan? timeout = null, int attempts = 3) => new()
    {
        Mirror = server.BaseUrl,
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
        Attempts = attempts,
        RetryDelay = TimeSpan.Zero,
    };

    private Task<DownloadedFile> Download(WeightFile entry, DownloadOptions options) =>
        WeightDownloader.DownloadAsync(entry, cache.Path, options, progress: null, CancellationToken.None);

    private string CachedFile => Path.Combine(cache.Path, "arpg.pt");

    [Fact]
    public async Task Downloads_through_the_mirror_and_verifies_the_full_digest()
    {
        DownloadedFile result = await Download(Entry(digest, content.Length), Options());

        Assert.Equal(CachedFile, result.Path);
        Assert.Equal(content, File.ReadAllBytes(CachedFile));
        Assert.Equal(digest, result.Sha256);
        Assert.Equal(["arpg.pt"], cache.Files());
        Assert.Equal([new FakeWeightServer.Request(ServedPath, null)], server.Requests);
    }

    [Fact]
    public async Task A_dropped_connection_resumes_with_Range_and_verifies()
    {
        server.FailNext(ServerFault.DropHalfway);
        var reports = new List<DownloadProgress>();

        await WeightDownloader.DownloadAsync(Entry(digest), cache.Path, Options(), new ListProgress(reports), CancellationToken.None);

        Assert.Equal(content, File.ReadAllBytes(CachedFile));
        Assert.Equal([null, $"bytes={content.Length / 2}-"], server.Requests.Select(r => r.Range));
        DownloadProgress resumed = Assert.Single(reports, r => r.Stage == DownloadStage.Resuming);
        Assert.Equal(content.Length / 2, resumed.ReceivedBytes);
        Assert.Equal(["arpg.pt"], cache.Files());
    }

    [Fact]
    public async Task A_resume_keeps_its_Range_across_a_redirect()
    {
        const string cdnPath = "/cdn/blob-1234";
        server.Serve(cdnPath, content);
        server.Redirect(ServedPath, cdnPath);
        server.FailNext(ServerFault.None, ServerFault.DropHalfway);

        await Download(Entry(digest), Options());

        Assert.Equal(content, File.ReadAllBytes(CachedFile));
        string resume = $"bytes={content.Length / 2}-";
        Assert.Equal(
            [new(ServedPath, null), new(cdnPath, null), new(ServedPath, resume), new FakeWeightServer.Request(cdnPath, resume)],
            server.Requests);
    }

    [Fact]
    public async Task A_partial_file_from_an_earlier_run_is_resumed()
    {
        File.WriteAllBytes(CachedFile + WeightDownloader.PartialSuffix, content[..1000]);

        await Download(Entry(digest), Options());

        Assert.Equal(content, File.ReadAllBytes(CachedFile));
        Assert.Equal(["bytes=1000-"], server.Requests.Select(r => r.Range));
        Assert.Equal(["arpg.pt"], cache.Files());
    }

    [Fact]
    public async Task A_server_that_ignores_Range_makes_the_download_start_over()
    {
        // Kept bytes that are wrong: appending the full body to them would fail the checksum.
        File.WriteAllBytes(CachedFile + WeightDownloader.PartialSuffix, new byte[1000]);
        server.FailNext(ServerFault.IgnoreRange);

        await Download(Entry(digest), Options());

        Assert.Equal(content, File.ReadAllBytes(CachedFile));
        Assert.Equal(["bytes=1000-"], server.Requests.Select(r => r.Range));
    }

    [Fact]
    public async Task A_corrupted_copy_is_rejected_and_leaves_nothing_in_the_cache()
    {
        server.FailNext(ServerFault.Corrupt);

        var error = await Assert.ThrowsAsync<WeightDownloadException>(() => Download(Entry(digest), Options()));

        Assert.Contains("checksum mismatch", error.Message);
        Assert.Contains(digest, error.Message);
        Assert.Empty(cache.Files());

        // The next try gets a good copy and keeps it.
        await Download(Entry(digest), Options());
        Assert.Equal(content, File.ReadAllBytes(CachedFile));
    }

    [Fact]
    public async Task A_digest_prefix_is_checked_as_a_prefix()
    {
        await Download(Entry(digest[..8]), Options());
        Assert.Equal(content, File.ReadAllBytes(CachedFile));

        File.Delete(CachedFile);
        string wrongPrefix = (digest[0] == '0' ? "1" : "0") + digest[1..8];
        var error = await Assert.ThrowsAsync<WeightDownloadException>(() => Download(Entry(wrongPrefix), Options()));
        Assert.Contains($"checksum mismatch for arpg.pt", error.Message);
        Assert.Contains($"a digest starting {wrongPrefix}", error.Message);
        Assert.Empty(cache.Files());
    }

    [Fact]
    public async Task A_size_that_differs_from_the_manifest_is_rejected()
    {
        var error = await Assert.ThrowsAsync<WeightDownloadException>(
            () => Download(Entry(null, size: content.Length + 1), Options()));

        Assert.Contains($"serves {content.Length} bytes but the manifest says TEST has {content.Length + 1}", error.Message);
        Assert.Empty(cache.Files());
    }

    [Fact]
    public async Task Not_found_names_the_url()
    {
        var entry = new WeightFile("TEST", "arpg.pt", new Uri(MirrorUrl.OfficialPrefix + "/nobody/nothing/x.pt"), null, null);

        var error = await Assert.ThrowsAsync<WeightDownloadException>(() => Download(entry, Options()));

        Assert.Equal($"{server.BaseUrl.AbsoluteUri.TrimEnd('/')}/nobody/nothing/x.pt was not found (HTTP 404)", error.Message);
        Assert.Empty(cache.Files());
    }

    [Fact]
    public async Task A_refused_connection_is_one_clear_error()
    {
        int port = FakeWeightServer.ClosedPort();
        DownloadOptions options = Options() with { Mirror = new Uri($"http://127.0.0.1:{port}") };

        var error = await Assert.ThrowsAsync<WeightDownloadException>(() => Download(Entry(digest), options));

        Assert.StartsWith($"connection refused by 127.0.0.1:{port}", error.Message);
        Assert.Empty(cache.Files());
    }

    [Fact]
    public async Task A_stalled_server_times_out_and_keeps_what_it_got()
    {
        server.FailNext(ServerFault.Stall, ServerFault.Stall);
        var clock = Stopwatch.StartNew();

        // 1 s: a loaded 2-core machine still connects and sends the request well within it
        var error = await Assert.ThrowsAsync<WeightDownloadException>(
            () => Download(Entry(digest), Options(TimeSpan.FromSeconds(1), attempts: 2)));

        Assert.True(error.Message.Contains("sent nothing for 1 s (timed out)"), error.Message);
        Assert.Contains("gave up after 2 attempt(s)", error.Message);
        Assert.Equal(2, server.Requests.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.DoesNotContain("arpg.pt", cache.Files());
    }

    [Fact]
    public async Task A_stall_is_retried_while_attempts_remain()
    {
        server.FailNext(ServerFault.Stall);

        // 1.5 s: long enough for a loaded 2-core machine to serve the retry, short enough to keep the test quick
        await Download(Entry(digest), Options(TimeSpan.FromMilliseconds(1500), attempts: 2));

        Assert.Equal(content, File.ReadAllBytes(CachedFile));
        Assert.Equal(2, server.Requests.Count);
    }

    [DevFullFact]
    public async Task A_full_disk_is_reported_as_such()
    {
        // The partial file is a link to /dev/full, where every write fails with ENOSPC.
        string partial = CachedFile + WeightDownloader.PartialSuffix;
        File.CreateSymbolicLink(partial, "/dev/full");

        var error = await Assert.ThrowsAsync<WeightDownloadException>(() => Download(Entry(digest), Options()));

        Assert.Equal($"disk full while writing {partial}", error.Message);
        Assert.False(File.Exists(CachedFile));
    }

    private sealed class ListProgress(List<DownloadProgress> reports) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => reports.Add(value);
    }
}
