using ArpgIlgpu.Generation;

namespace ArpgIlgpu.Extensions.AI;

/// <summary>
/// A prompt as ARPG understands it: ARPG is class-conditional, so the prompt names one class of
/// the model: an ImageNet class number (0..999 for the released models) or one of its names
/// ("golden retriever", see <see cref="ImageNetClasses.Find"/>). This is the one place that turns
/// prompt text into a class label.
/// </summary>
public static class ClassPrompt
{
    /// <summary>The parameter the errors name.</summary>
    public const string Parameter = "prompt";

    /// <summary>
    /// The class label <paramref name="prompt"/> names, in 0..<paramref name="classCount"/>-1;
    /// throws <see cref="InvalidParameterException"/> for anything else (an unknown name: with the closest names).
    /// </summary>
    public static int Parse(string? prompt, int classCount)
    {
        string text = prompt?.Trim() ?? "";
        int label;
        try
        {
            label = ImageNetClasses.Find(text).Number;
        }
        catch (InvalidInputException e)
        {
            throw new InvalidParameterException(Parameter, $"'{prompt}'",
                $"ARPG generates classes: give a class name or number 0..{classCount - 1} ({e.Message})", e);
        }
        if (label >= classCount)
            throw new InvalidParameterException(Parameter, $"'{prompt}'", $"class {label} is outside 0..{classCount - 1}");
        return label;
    }
}
