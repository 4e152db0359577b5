using ArpgIlgpu.Generation;
using ArpgIlgpu.Generation.Explain;
using ArpgIlgpu.Models;
using System.CommandLine;
using System.Diagnostics;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `--explain DIR` of generate, inpaint, outpaint and expand: per image, DIR/NAME/ with steps.gif,
/// order.png, confidence.png and explain.json (<see cref="ExplanationFiles"/>). Without it the
/// decoder is not observed and nothing extra is computed; with it each step adds a copy of its
/// tokens, one probability pass over its logits, and one VQ decode per image.
/// </summary>
internal sealed class ExplainOption
{
    private readonly Stopwatch clock = new();

    private ExplainOption(string root) => Root = root;

    /// <summary>The folder the explanations go to (created).</summary>
    public string Root { get; }

    /// <summary>VQ decodes run for the frames so far.</summary>
    public int Decodes { get; private set; }

    public static Option<string?> Create() => new("--explain")
    {
        Description = "Also write pictures of the decoding per image into this folder: steps.gif (one frame per step), " +
                      "order.png, confidence.png and explain.json (adds one VQ decode per step)",
    };

    /// <summary>
    /// The option's folder, prepared, or null when the option is absent; notes the cost on stderr
    /// (<paramref name="cost"/>: how many VQ decodes it adds).
    /// </summary>
    public static ExplainOption? Read(ParseResult parsed, Option<string?> option, bool hasTokenizer, string cost)
    {
        if (parsed.GetValue(option) is not string root)
            return null;
        if (!hasTokenizer)
            throw new InvalidInputException($"--explain {root}: the frames need the VQ tokenizer; give --vq-checkpoint");
        Console.Error.WriteLine($"note: --explain adds {cost}");
        return new ExplainOption(OutputFolder.Prepare(root));
    }

    /// <summary>Writes the explanation of one image into Root/<paramref name="name"/>.</summary>
    public void Write(string name, DecodingTrace trace, VqModel tokenizer, int classLabel, int imageIndex)
    {
        clock.Start();
        Decodes += ExplanationFiles.Write(Path.Combine(Root, name), trace, tokenizer, classLabel, imageIndex);
        clock.Stop();
    }

    /// <summary>The closing line: how many decodes and how long the explanations took.</summary>
    public void Report() =>
        Console.Error.WriteLine($"--explain: {Decodes} VQ decode(s) in {clock.Elapsed.TotalSeconds:F1} s, written to {Root}");
}
