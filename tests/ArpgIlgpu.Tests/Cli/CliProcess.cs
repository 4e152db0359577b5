using System.Diagnostics;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// Runs arpg as its own process (dotnet arpg.dll, beside the tests), for what an in-process run
/// cannot set for one run alone: environment variables (cache, mirror), the working folder, and
/// standard output sent to a file such as /dev/full.
/// </summary>
public static class CliProcess
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>Runs `arpg <paramref name="args"/>` in <paramref name="workingDirectory"/> with <paramref name="environment"/> added.</summary>
    public static CliResult Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, string? stdoutFile,
        params string[] args)
    {
        // sh redirects stdout to the file; "$@" keeps every argument as it is
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(stdoutFile is null ? "exec \"$@\"" : $"exec \"$@\" > '{stdoutFile}'");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "arpg.dll"));
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        foreach ((string name, string value) in environment)
            start.Environment[name] = value;
        using Process arpg = Process.Start(start)!;
        Task<string> output = arpg.StandardOutput.ReadToEndAsync(), error = arpg.StandardError.ReadToEndAsync();
        if (!arpg.WaitForExit(Limit))
        {
            arpg.Kill(entireProcessTree: true);
            throw new TimeoutException($"arpg {string.Join(' ', args)} ran for more than {Limit}");
        }
        return new CliResult(arpg.ExitCode, output.Result, error.Result);
    }
}
