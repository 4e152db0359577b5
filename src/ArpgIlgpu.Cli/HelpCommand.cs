using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg help [COMMAND...]`: the same text as `arpg [COMMAND...] --help`, as git and dotnet have it.</summary>
internal static class HelpCommand
{
    public static Command Create(RootCommand root)
    {
        var names = new Argument<string[]>("COMMAND") { Description = "The command to describe (none: all of them)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("help", "Describe a command and its options (the same as COMMAND --help)");
        command.Arguments.Add(names);
        command.SetAction(parsed => CommandRunner.Invoke(root, [.. parsed.GetValue(names) ?? [], "--help"]));
        return command;
    }
}
