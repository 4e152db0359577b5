namespace ArpgIlgpu.Cli;

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and print late, out of order).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
