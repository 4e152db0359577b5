namespace ArpgIlgpu;

/// <summary>
/// One parameter of a library call has a value it cannot take. <see cref="Parameter"/> is the
/// name the API gives it (a property: <c>nameof(GenerationOptions.Steps)</c>; a method's
/// parameter: <c>classes</c>), so that a front end can say it in its own words (the command line
/// names its flag); the message reads "{Parameter} {Value}: {Problem}".
/// </summary>
public class InvalidParameterException : InvalidInputException
{
    /// <summary>
    /// Creates the exception for <paramref name="parameter"/> holding <paramref name="value"/>
    /// (null: the parameter as a whole), with the failure that caused it if any.
    /// </summary>
    public InvalidParameterException(string parameter, string? value, string problem, Exception? inner = null)
        : base(Describe(parameter, value, problem), inner)
    {
        Parameter = parameter;
        Value = value;
        Problem = problem;
    }

    /// <summary>The parameter's name in the API.</summary>
    public string Parameter { get; }

    /// <summary>The rejected value as text, or null when the message is about the parameter as a whole.</summary>
    public string? Value { get; }

    /// <summary>What is wrong with it, e.g. "must be between 1 and 256 (the number of tokens)".</summary>
    public string Problem { get; }

    /// <summary>The message with <paramref name="name"/> standing for the parameter.</summary>
    public static string Describe(string name, string? value, string problem) =>
        value is null ? $"{name}: {problem}" : $"{name} {value}: {problem}";
}
