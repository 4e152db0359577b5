using ArpgIlgpu.Generation;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>Cutting a batch into contiguous chunks, one thread per worker, and putting it back in order.</summary>
public class DeviceSplitTests
{
    [Theory]
    [InlineData(10, 3, new[] { 4, 3, 3 })]
    [InlineData(2, 4, new[] { 1, 1, 0, 0 })]
    [InlineData(0, 2, new[] { 0, 0 })]
    [InlineData(7, 1, new[] { 7 })]
    public void ChunksAreContiguousAndDifferByAtMostOne(int count, int parts, int[] sizes)
    {
        (int Start, int Count)[] chunks = DeviceSplit.Chunks(count, parts);

        Assert.Equal(sizes, chunks.Select(c => c.Count));
        Assert.Equal(0, chunks[0].Start);
        for (int p = 1; p < parts; p++)
            Assert.Equal(chunks[p - 1].Start + chunks[p - 1].Count, chunks[p].Start);
    }

    [Fact]
    public void RunsEachWorkerOnItsOwnThreadAndMergesInIndexOrder()
    {
        string[] workers = ["a", "b", "c"];
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();

        string[] result = DeviceSplit.Run(workers, 8, (worker, start, count, _) =>
        {
            threads[worker] = Environment.CurrentManagedThreadId;
            Thread.Sleep(worker == "a" ? 50 : 0); // the first chunk finishes last
            return Enumerable.Range(start, count).Select(i => $"{worker}{i}").ToArray();
        });

        Assert.Equal(["a0", "a1", "a2", "b3", "b4", "b5", "c6", "c7"], result);
        Assert.Equal(3, threads.Values.Distinct().Count());
    }

    [Fact]
    public void OneWorkerRunsOnTheCallingThread()
    {
        int caller = Environment.CurrentManagedThreadId, used = -1;
        DeviceSplit.Run(["only"], 3, (_, start, count, _) =>
        {
            used = Environment.CurrentManagedThreadId;
            return new int[count];
        });
        Assert.Equal(caller, used);
    }

    [Fact]
    public void AFailureCancelsTheOthersAndIsRethrownUnwrapped()
    {
        var error = Assert.Throws<InvalidInputException>(() => DeviceSplit.Run(["fails", "waits"], 4, (worker, _, _, cancel) =>
        {
            if (worker == "fails")
                throw new InvalidInputException("device 0 failed");
            return WorkUntilCancelled(cancel); // ends only because the other worker failed
        }));
        Assert.Equal("device 0 failed", error.Message);
    }

    [Fact]
    public void TheCallersCancellationReachesEveryWorker()
    {
        using var cancel = new CancellationTokenSource();
        int started = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => DeviceSplit.Run(["a", "b"], 2, (_, _, _, token) =>
        {
            if (Interlocked.Increment(ref started) == 2)
                cancel.Cancel();
            return WorkUntilCancelled(token);
        }, cancel.Token));
    }

    /// <summary>A worker that checks its token as a decoding step does, until it is cancelled.</summary>
    private static int[] WorkUntilCancelled(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
            Thread.Sleep(5);
        token.ThrowIfCancellationRequested();
        return [];
    }
}
