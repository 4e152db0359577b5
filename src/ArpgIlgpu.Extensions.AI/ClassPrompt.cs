using System.Globalization;

namespace ArpgIlgpu.Extensions.AI;

/// <summary>
/// A prompt as ARPG understands it: ARPG is class-conditional, so the prompt names one class of
/// the model (an ImageNet class number, 0..999 for the released models). This is the one place
/// that turns prompt text into a class label.
/// </summary>
public static class ClassPrompt
{
    /// <summary>The parameter the errors name.</summary>
    public const string Parameter = "prompt";

    /// <summary>
    /// The class label <paramref name="prompt"/> names, in 0..<paramref name="classCount"/>-1;
    /// throws <see cref="InvalidParameterException"/> for anything else.
    /// </summary>
    public static int Parse(string? prompt, int classCount)
    {
        string text = prompt?.Trim() ?? "";
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int label))
            throw new InvalidParameterException(Parameter, $"'{prompt}'",
                $"ARPG generates classes: give a class number 0..{classCount - 1} (ImageNet: 207 is golden retriever)");
        if (label >= classCount)
            throw new InvalidParameterException(Parameter, $"'{prompt}'", $"class {label} is outside 0..{classCount - 1}");
        return label;
    }
}
