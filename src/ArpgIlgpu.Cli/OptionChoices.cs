using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>Restricts a string option to fixed values, with an error that names the option.</summary>
internal static class OptionChoices
{
    public static void Restrict(Option<string> option, params string[] allowed)
    {
        option.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is not null && !allowed.Contains(value))
                result.AddError($"{option.Name} '{value}': expected {string.Join(" or ", allowed)}");
        });
        option.CompletionSources.Add(allowed);
    }
}
