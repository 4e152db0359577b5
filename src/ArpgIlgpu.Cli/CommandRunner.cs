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

    public static int Invoke(RootCommand root, string[] args)
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
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
