namespace ArpgIlgpu.Tests;

/// <summary>The exit code and the captured output of one in-process `arpg` run.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>
/// Runs the `arpg` command line in-process (ArpgCommand.Run), capturing stdout and stderr. Tests
/// run one at a time (the assembly disables parallelization), so redirecting Console is safe.
/// </summary>
public static class CliInvocation
{
    /// <summary>Runs `arpg <paramref name="args"/>` and returns what it printed.</summary>
    public static CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    /// <summary>Runs `arpg <paramref name="args"/>`; cancelling <paramref name="cancel"/> acts as Ctrl-C does.</summary>
    public static CliResult Run(CancellationToken cancel, params string[] args) =>
        Capture(() => ArpgIlgpu.Cli.ArpgCommand.Run(args, cancel));

    /// <summary>Runs a program's main (the CLI, a sample) and returns its exit code and what it printed.</summary>
    public static CliResult Capture(Func<int> main)
    {
        TextWriter originalOut = Console.Out, originalError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exitCode = main();
            return new CliResult(exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
