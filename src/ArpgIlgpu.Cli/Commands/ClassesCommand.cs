using ArpgIlgpu.Generation;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg classes [WORD]`: the ImageNet-1k classes the released models generate, one per line
/// ("207 golden retriever"), all of them or those with WORD in a name; any of the names, or the
/// number, is what --classes takes.
/// </summary>
internal static class ClassesCommand
{
    public static Command Create()
    {
        var word = new Argument<string?>("WORD") { Description = "Only the classes with this in a name (or this number)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("classes", "List or search the ImageNet class names that --classes takes");
        command.Arguments.Add(word);
        command.SetAction(parsed =>
        {
            string? text = parsed.GetValue(word);
            IReadOnlyList<ImageNetClass> found = text is null ? ImageNetClasses.All : ImageNetClasses.Search(text);
            if (found.Count == 0 && int.TryParse(text, out int number))
                throw new InvalidInputException($"class {number}: ImageNet classes are 0..{ImageNetClasses.Count - 1}");
            if (found.Count == 0)
                throw new InvalidInputException(
                    $"no ImageNet class name contains '{text}' (closest: {string.Join("; ", ImageNetClasses.Closest(text!, 3))})");
            foreach (ImageNetClass c in found)
                Console.WriteLine($"{c.Number,3} {string.Join(", ", c.Names)}");
            return CommandRunner.Ok;
        });
        return command;
    }
}
