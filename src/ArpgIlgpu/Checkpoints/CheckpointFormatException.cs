namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// A checkpoint file is malformed, truncated, unsafe or not a format we read. The message names the
/// file and what is wrong with it; the command line reports it as bad input (exit code 2).
/// </summary>
public sealed class CheckpointFormatException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="file"/> with the <paramref name="problem"/> found.</summary>
    public CheckpointFormatException(string file, string problem) : base($"{file}: {problem}")
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The file as the user named it.</summary>
    public string File { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
