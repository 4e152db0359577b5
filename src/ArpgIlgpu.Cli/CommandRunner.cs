using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>
/// Runs a parsed command line with the project's exit-code contract: 0 on success, 2 on bad usage
/// or bad input (one clear line on stderr), 1 on an internal failure.
/// </summary>
internal static class CommandRunner
{
    public const int Ok = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;

    /// <summary>
    /// How long Ctrl-C (SIGINT, SIGTERM) waits for a command to stop by itself before the process
    /// ends anyway. Cancellation is checked at every decoding step and between batches, so a
    /// command normally stops within a step and leaves only complete files; the default 2 s of
    /// System.CommandLine would cut off a slow step (a large model on the CPU) half-way.
    /// </summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the command line; <paramref name="cancel"/> (like Ctrl-C) asks the command to stop.</summary>
    public static int Invoke(RootCommand root, string[] args, CancellationToken cancel = default)
    {
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
            return BadInput;
        }
        try
        {
            var configuration = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = StopTimeout,
            };
            return parsed.InvokeAsync(configuration, cancel).GetAwaiter().GetResult();
        }
        catch (InvalidInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Runtime.DeviceOutOfMemoryException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return InternalError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return InternalError;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"internal error: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            return InternalError;
        }
    }
}
