using ArpgIlgpu.Runtime;
using ArpgIlgpu.Weights;
using ILGPU;
using ILGPU.Runtime;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace ArpgIlgpu.Cli;

/// <summary>
/// Runs a parsed command line with the project's exit-code contract: every failure a user can
/// cause or meet (bad input, network, disk, device) is one line on stderr and its own exit code;
/// only a bug (an exception of no known kind) prints a stack trace, with exit code 1.
/// </summary>
internal static class CommandRunner
{
    public const int Ok = 0;
    /// <summary>A bug: an exception of a kind no user action explains.</summary>
    public const int InternalError = 1;
    /// <summary>Bad usage or bad input: an option, a file or its contents.</summary>
    public const int BadInput = 2;
    /// <summary>A download failed: no network, the server, or the bytes it sent.</summary>
    public const int DownloadFailed = 3;
    /// <summary>A file could not be read or written: disk full, read-only, no permission.</summary>
    public const int FileSystemFailed = 4;
    /// <summary>The device failed: out of memory, a driver missing or refusing.</summary>
    public const int DeviceFailed = 5;
    /// <summary>Ctrl-C (SIGINT), as shells report a process ended by it (128 + 2).</summary>
    public const int Cancelled = 130;

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
        if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
            return ReportParseErrors(root, parsed);
        try
        {
            var configuration = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = StopTimeout,
            };
            return parsed.InvokeAsync(configuration, cancel).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            return Report(Unwrap(e));
        }
    }

    /// <summary>
    /// Parse errors, one line each. A misspelled command or option comes with the nearest names
    /// and hides the errors it causes (a required option "missing" because its name was
    /// mistyped); `arpg` alone prints the usage.
    /// </summary>
    private static int ReportParseErrors(RootCommand root, ParseResult parsed)
    {
        if (parsed.Tokens.Count == 0)
        {
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = Console.Error });
            return BadInput;
        }
        if (parsed.UnmatchedTokens.Count > 0)
        {
            foreach (string line in TypoSuggestions.Describe(parsed))
                Console.Error.WriteLine($"error: {line}");
        }
        else
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
        }
        Console.Error.WriteLine($"see `arpg {string.Join(' ', CommandPath(parsed))}--help`");
        return BadInput;
    }

    /// <summary>The subcommand names down to the parsed command, each followed by a space.</summary>
    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (var result = parsed.CommandResult; result.Parent is CommandResult parent; result = parent)
            names.Push(result.Command.Name + " ");
        return names;
    }

    /// <summary>The failure itself, out of the wrappers that threads and static constructors add.</summary>
    private static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        TypeInitializationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    /// <summary>Prints the failure as its kind's one line (a bug: with its stack) and returns its exit code.</summary>
    private static int Report(Exception e)
    {
        (string line, int code) = e switch
        {
            OperationCanceledException => ("cancelled", Cancelled),
            InvalidParameterException p => ($"error: {ParameterFlags.Describe(p)}", BadInput),
            InvalidInputException => ($"error: {e.Message}", BadInput),
            FileNotFoundException or DirectoryNotFoundException => ($"error: {e.Message}", BadInput),
            WeightDownloadException => ($"error: {e.Message}", DownloadFailed),
            IOException or UnauthorizedAccessException => ($"error: {e.Message}", FileSystemFailed),
            DeviceOutOfMemoryException m => ($"error: {m.Shortfall}; try a smaller --batch or --precision fp16", DeviceFailed),
            AcceleratorException or CapabilityNotSupportedException =>
                ($"error: the device failed ({e.GetType().Name}: {e.Message}); `arpg devices` lists the working ones", DeviceFailed),
            DllNotFoundException =>
                ($"error: a device driver library is missing ({e.Message}); `arpg devices` lists the working devices", DeviceFailed),
            _ => ($"internal error: {e.GetType().Name}: {e.Message}\n{e.StackTrace}", InternalError),
        };
        Console.Error.WriteLine(line);
        return code;
    }
}
