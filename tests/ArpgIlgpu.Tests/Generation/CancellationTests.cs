using ArpgIlgpu.Generation;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Generation;

/// <summary>Cancelling a generation stops it before the next decoding step and frees its device memory.</summary>
public class CancellationTests
{
    [Fact]
    public void GenerationStopsBeforeTheStepAfterTheCancellation()
    {
        ComputeDevice device = TestDevices.Get("cpu");
        using var f = new FixtureSet("tiny");
        using var model = f.LoadTransformer(device);
        long before = device.AllocatedBytes;
        using var cancel = new CancellationTokenSource();
        var steps = new List<int>();
        var progress = new CancelAt(step: 2, steps, cancel);

        Assert.ThrowsAny<OperationCanceledException>(() => new ParallelDecoder(model).Generate([1, 2, 3],
            new GenerationOptions { Steps = 8 }, progress: progress, cancel: cancel.Token));

        Assert.Equal([1, 2], steps); // step 2 finished, step 3 never started
        Assert.Equal(before, device.AllocatedBytes); // the run's caches are freed
    }

    /// <summary>Records the steps reported and cancels once <paramref name="step"/> is done (synchronously, unlike Progress&lt;T&gt;).</summary>
    private sealed class CancelAt(int step, List<int> steps, CancellationTokenSource cancel) : IProgress<DecodeProgress>
    {
        public void Report(DecodeProgress p)
        {
            steps.Add(p.Step);
            if (p.Step == step)
                cancel.Cancel();
        }
    }
}
