using System.Runtime.ExceptionServices;

namespace ArpgIlgpu.Generation;

/// <summary>
/// Data parallelism over several devices, the simple way: a batch of images is cut into
/// contiguous chunks, one per device, each device runs its chunk on its own thread, and the
/// results are put back together in image order. Because an image's tokens depend only on the
/// seed, its index in the request and the settings (<see cref="ParallelDecoder"/>), the split
/// changes nothing in the output.
/// </summary>
public static class DeviceSplit
{
    /// <summary>
    /// Contiguous chunks of <paramref name="count"/> items for <paramref name="parts"/> workers, in
    /// order: sizes differ by at most one, the larger first; some are empty when count &lt; parts.
    /// </summary>
    public static (int Start, int Count)[] Chunks(int count, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        var chunks = new (int, int)[parts];
        int start = 0;
        for (int p = 0; p < parts; p++)
        {
            int size = count / parts + (p < count % parts ? 1 : 0);
            chunks[p] = (start, size);
            start += size;
        }
        return chunks;
    }

    /// <summary>
    /// Runs <paramref name="work"/>(worker, start, count, cancel) for each worker's chunk of
    /// <paramref name="count"/> items, each worker on its own thread (one worker: on the calling
    /// thread), and returns the results concatenated in chunk order. When a worker fails, the
    /// others are cancelled and the first failure is rethrown as it was (not wrapped), a real error
    /// taking precedence over the cancellations it caused.
    /// </summary>
    public static T[] Run<TWorker, T>(IReadOnlyList<TWorker> workers, int count,
        Func<TWorker, int, int, CancellationToken, T[]> work, CancellationToken cancel = default)
    {
        (int Start, int Count)[] chunks = Chunks(count, workers.Count);
        if (workers.Count == 1)
            return work(workers[0], 0, count, cancel);

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var results = new T[workers.Count][];
        var errors = new Exception?[workers.Count];
        var threads = new Thread[workers.Count];
        for (int w = 0; w < workers.Count; w++)
        {
            int at = w;
            threads[w] = new Thread(() =>
            {
                try
                {
                    results[at] = chunks[at].Count == 0 ? [] : work(workers[at], chunks[at].Start, chunks[at].Count, failed.Token);
                }
                catch (Exception e)
                {
                    errors[at] = e;
                    failed.Cancel();
                }
            })
            { Name = $"device {w}", IsBackground = true };
            threads[w].Start();
        }
        foreach (Thread t in threads)
            t.Join();

        Exception? first = errors.FirstOrDefault(e => e is not null and not OperationCanceledException)
                           ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null)
            ExceptionDispatchInfo.Capture(first).Throw();
        return results.SelectMany(r => r).ToArray();
    }
}
