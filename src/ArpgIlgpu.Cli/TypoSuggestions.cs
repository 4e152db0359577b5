using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>
/// Names the words of a command line that matched nothing, with the nearest command or option
/// names (edit distance) as 'did you mean'.
/// </summary>
internal static class TypoSuggestions
{
    /// <summary>Suggestions further than this many edits away are more confusing than helpful.</summary>
    private const int MaxDistance = 3;

    /// <summary>
    /// One line per unmatched word: an unknown command (when no command was recognised: only the
    /// first word, the rest belong to it), an unknown option, or an unexpected argument; a word
    /// after an unknown option is taken as its value and not reported.
    /// </summary>
    public static IEnumerable<string> Describe(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        IReadOnlyList<string> unmatched = parsed.UnmatchedTokens;
        if (command is RootCommand && command.Subcommands.Count > 0 && !unmatched[0].StartsWith('-'))
        {
            yield return $"unknown command '{unmatched[0]}'" + Hint(unmatched[0], command.Subcommands.Select(c => c.Name));
            yield break;
        }
        string[] options = OptionNames(parsed.CommandResult).ToArray();
        for (int i = 0; i < unmatched.Count; i++)
        {
            string word = unmatched[i];
            if (word.StartsWith('-'))
                yield return $"unknown option '{word}'" + Hint(word, options);
            else if (i == 0 || !unmatched[i - 1].StartsWith('-'))
                yield return $"unexpected argument '{word}'" + Hint(word, command.Subcommands.Select(c => c.Name));
        }
    }

    /// <summary>The options valid at the parsed command: its own and its ancestors' recursive ones.</summary>
    private static IEnumerable<string> OptionNames(System.CommandLine.Parsing.CommandResult result)
    {
        foreach (Option option in result.Command.Options)
            yield return option.Name;
        for (var parent = result.Parent as System.CommandLine.Parsing.CommandResult; parent is not null;
             parent = parent.Parent as System.CommandLine.Parsing.CommandResult)
            foreach (Option option in parent.Command.Options.Where(o => o.Recursive))
                yield return option.Name;
    }

    /// <summary>" (did you mean X?)" with the nearest names, or nothing when none is near.</summary>
    private static string Hint(string word, IEnumerable<string> names)
    {
        var near = names.Distinct().Select(n => (Name: n, Distance: EditDistance.Levenshtein(word, n)))
            .Where(c => c.Distance <= MaxDistance && c.Distance < c.Name.Length / 2 + 1)
            .ToList();
        if (near.Count == 0)
            return "";
        int best = near.Min(c => c.Distance);
        return $" (did you mean {string.Join(" or ", near.Where(c => c.Distance == best).Select(c => c.Name))}?)";
    }
}
