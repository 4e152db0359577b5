namespace ArpgIlgpu;

/// <summary>
/// Something a user passed (a file, a flag, a config) is wrong. The message names the input and
/// what was wrong with it; the command line turns this into exit code 2 and one line on stderr.
/// </summary>
public class InvalidInputException : Exception
{
    /// <summary>Creates the exception with a message that names the input.</summary>
    public InvalidInputException(string message) : base(message) { }

    /// <summary>Creates the exception with a message that names the input and the cause.</summary>
    public InvalidInputException(string message, Exception? inner) : base(message, inner) { }
}
