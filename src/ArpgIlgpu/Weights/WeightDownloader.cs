using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ArpgIlgpu.Weights;

/// <summary>
/// Fetches one weight file over HTTP into a folder. Bytes go to <c>FILE.partial</c>; a dropped or
/// stalled connection resumes from the bytes kept (HTTP Range), within this call and across runs.
/// Only a file whose size and SHA-256 pass the manifest's checks is renamed into place; one that
/// fails is deleted, so the folder never holds a corrupt file under the real name.
/// </summary>
public sealed class WeightDownloader
{
    /// <summary>The suffix of a download in progress.</summary>
    public const string PartialSuffix = ".partial";

    private const int BufferBytes = 1 << 20;

    private readonly WeightFile file;
    private readonly Uri url;
    private readonly string partial;
    private readonly DownloadOptions options;
    private readonly IProgress<DownloadProgress>? progress;
    private readonly CancellationToken cancellation;

    private WeightDownloader(WeightFile file, string partial, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        this.file = file;
        url = MirrorUrl.Apply(file.Url, options.Mirror);
        this.partial = partial;
        this.options = options;
        this.progress = progress;
        this.cancellation = cancellation;
    }

    /// <summary>
    /// Downloads <paramref name="file"/> (from its URL, or the mirror's) into
    /// <paramref name="directory"/> and verifies it. Throws <see cref="WeightDownloadException"/>
    /// with a one-line message on network, verification or disk failures.
    /// </summary>
    public static async Task<DownloadedFile> DownloadAsync(WeightFile file, string directory, DownloadOptions options,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Attempts, 1);
        CreateDirectory(directory);
        string destination = Path.Combine(directory, file.FileName);
        var download = new WeightDownloader(file, destination + PartialSuffix, options, progress, cancellation);

        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("arpg-ilgpu");
        await download.FetchWithRetriesAsync(client);
        DownloadedFile verified = await download.VerifyAsync();
        File.Move(download.partial, destination, overwrite: true);
        return verified with { Path = destination };
    }

    private async Task FetchWithRetriesAsync(HttpClient client)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await FetchOnceAsync(client);
                return;
            }
            catch (ConnectionInterruptedException e) when (attempt < options.Attempts)
            {
                progress?.Report(new DownloadProgress(file.FileName, DownloadStage.Resuming, LengthOf(partial), null, e.Message));
                await Task.Delay(options.RetryDelay * attempt, cancellation);
            }
            catch (ConnectionInterruptedException e)
            {
                throw new WeightDownloadException(
                    $"{e.Message}; gave up after {attempt} attempt(s); the {LengthOf(partial)} bytes received are kept in {partial} "
                    + $"and `arpg download {file.Model}` resumes from there", e);
            }
        }
    }

    /// <summary>
    /// One request: appends the body to the partial file until it holds the size the server
    /// announced; a body that ends early is an interruption, one that runs over is rejected.
    /// </summary>
    private async Task FetchOnceAsync(HttpClient client)
    {
        long kept = LengthOf(partial);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (kept > 0)
            request.Headers.Range = new RangeHeaderValue(kept, null);

        // One timer for every wait (connect, headers, each read), re-armed before each of them.
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stall.CancelAfter(options.Timeout);
        using HttpResponseMessage response = await Network(
            () => client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token));

        (long start, long? total) = BodyRange(response, kept);
        if (total is long announced && file.SizeBytes is long expected && announced != expected)
            Reject($"{url} serves {announced} bytes but the manifest says {file.Model} has {expected}");

        Stream body = await Network(() => response.Content.ReadAsStreamAsync(stall.Token));
        long limit = total ?? file.SizeBytes ?? long.MaxValue;
        long received = await AppendAsync(body, start, limit, stall);
        if (received > limit)
            Reject($"{url} sent more than the {limit} bytes expected");
        if (total is long size && received < size)
            throw new ConnectionInterruptedException($"the connection to {url} closed after {received} of {size} bytes");
    }

    /// <summary>
    /// Where the response body starts in the file and the file's total size, from the status code
    /// and headers; deletes the partial file when the server starts over or cannot resume.
    /// </summary>
    private (long Start, long? Total) BodyRange(HttpResponseMessage response, long kept)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                if (response.Content.Headers.ContentRange is { From: long from } range && from == kept)
                    return (kept, range.Length);
                File.Delete(partial);
                throw new ConnectionInterruptedException(
                    $"{url} answered a resume from byte {kept} with Content-Range '{response.Content.Headers.ContentRange}'; starting over");
            case HttpStatusCode.OK:
                // Also what a server that ignores Range sends: the whole file, so start over.
                return (0, response.Content.Headers.ContentLength);
            case HttpStatusCode.RequestedRangeNotSatisfiable when kept > 0:
                File.Delete(partial);
                throw new ConnectionInterruptedException($"{url} cannot resume from byte {kept}; starting over");
            case HttpStatusCode.NotFound:
                throw new WeightDownloadException($"{url} was not found (HTTP 404)");
            default:
                throw new WeightDownloadException($"{url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    /// <summary>
    /// Appends the body to the partial file from byte <paramref name="start"/>, re-arming the stall
    /// timer before each read; stops early once more than <paramref name="limit"/> bytes are on disk.
    /// Returns the bytes on disk.
    /// </summary>
    private async Task<long> AppendAsync(Stream body, long start, long limit, CancellationTokenSource stall)
    {
        await using FileStream output = OpenPartial(start);
        var buffer = new byte[BufferBytes];
        long received = start;
        while (received <= limit)
        {
            stall.CancelAfter(options.Timeout);
            int read = await Network(() => body.ReadAsync(buffer, stall.Token).AsTask());
            if (read == 0)
                break;
            try
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancellation);
            }
            catch (IOException e)
            {
                throw WriteFailure(e);
            }
            received += read;
            progress?.Report(new DownloadProgress(file.FileName, DownloadStage.Receiving, received,
                limit == long.MaxValue ? null : limit));
        }
        return received;
    }

    /// <summary>Checks size and digest of the complete partial file; deletes it when either is wrong.</summary>
    private async Task<DownloadedFile> VerifyAsync()
    {
        // The transfer already held the bytes to the announced size; a server that announced none
        // is held to the manifest's size here.
        long length = LengthOf(partial);
        if (file.SizeBytes is long expected && length != expected)
            Reject($"size mismatch for {file.FileName} from {url}: {length} bytes, the manifest says {expected}");

        progress?.Report(new DownloadProgress(file.FileName, DownloadStage.Verifying, length, length));
        string sha256;
        await using (var stream = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes, useAsync: true))
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
        if (!file.DigestMatches(sha256))
        {
            string expectedDigest = file.HasFullDigest ? file.Sha256! : $"a digest starting {file.Sha256}";
            Reject($"checksum mismatch for {file.FileName} from {url}: sha256 {sha256}, expected {expectedDigest}");
        }
        return new DownloadedFile(file, partial, length, sha256);
    }

    /// <summary>
    /// Awaits a network operation, sorting its failures into final ones
    /// (<see cref="WeightDownloadException"/>: refused, unknown host) and ones worth resuming
    /// (<see cref="ConnectionInterruptedException"/>: dropped, stalled).
    /// </summary>
    private async Task<T> Network<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new ConnectionInterruptedException($"{url} sent nothing for {options.Timeout.TotalSeconds:0.#} s (timed out)", e);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            throw new WeightDownloadException($"cannot resolve host {url.Host} (fetching {url})", e);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw new WeightDownloadException($"connection refused by {url.Authority} (fetching {url})", e);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError)
        {
            throw new WeightDownloadException($"cannot connect to {url.Authority} (fetching {url}): {e.Message}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new ConnectionInterruptedException($"the connection to {url} dropped: {e.Message}", e);
        }
    }

    private FileStream OpenPartial(long start)
    {
        try
        {
            // The partial file holds exactly `start` bytes, so appending continues it. Unbuffered:
            // the loop writes whole 1 MiB chunks, and a failed write leaves nothing for Dispose to
            // flush (and fail on again).
            return new FileStream(partial, start == 0 ? FileMode.Create : FileMode.Append, FileAccess.Write,
                FileShare.None, bufferSize: 0, useAsync: true);
        }
        catch (IOException e)
        {
            throw WriteFailure(e);
        }
    }

    private WeightDownloadException WriteFailure(IOException e) =>
        new(OutputWriteFailure.IsDiskFull(e) ? $"disk full while writing {partial}" : $"cannot write {partial}: {e.Message}", e);

    /// <summary>Deletes the partial file and fails with <paramref name="reason"/>.</summary>
    private void Reject(string reason)
    {
        File.Delete(partial);
        throw new WeightDownloadException($"{reason}; the download was deleted");
    }

    private static void CreateDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"cannot create the cache folder {directory}: {e.Message}", e);
        }
    }

    private static long LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>The connection dropped or stalled: the next attempt resumes from the bytes kept.</summary>
    private sealed class ConnectionInterruptedException(string message, Exception? inner = null) : Exception(message, inner);
}
