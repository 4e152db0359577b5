using ArpgIlgpu.Cli;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

/// <summary>Tests that swap Console.Out and Console.Error run in this collection, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Console";
}

/// <summary>Runs `arpg ARGS` in-process and captures its exit code, stdout and stderr.</summary>
public static class ConsoleCapture
{
    /// <summary>What one run of the command wrote and returned.</summary>
    public sealed record Result(int ExitCode, string Out, string Error);

    /// <summary>Runs <see cref="ArpgCommand.Run"/> with stdout and stderr captured.</summary>
    public static Result RunArpg(params string[] args)
    {
        TextWriter originalOut = Console.Out, originalError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exitCode = ArpgCommand.Run(args);
            return new Result(exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
