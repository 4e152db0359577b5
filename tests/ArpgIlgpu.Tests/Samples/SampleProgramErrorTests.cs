using System.Reflection;
using Xunit;

namespace ArpgIlgpu.Tests.Samples;

/// <summary>The sample programs answer bad input with one error line and exit code 2, not an unhandled exception.</summary>
public class SampleProgramErrorTests
{
    /// <summary>Runs a sample's Main and returns its exit code and stderr.</summary>
    private static (int ExitCode, string Error) Run(Func<string[], int> main, params string[] args)
    {
        TextWriter originalError = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            return (main(args), error.ToString());
        }
        finally
        {
            Console.SetError(originalError);
        }
    }

    /// <summary>samples/Inpaint is top-level statements: its Main is the assembly's entry point.</summary>
    private static int Inpaint(string[] args) =>
        (int)Assembly.Load("Inpaint").EntryPoint!.Invoke(null, [args])!;

    public static IEnumerable<object[]> Cases()
    {
        string config = Fixtures.PathOf("tiny", "json"), arpg = Fixtures.PathOf("tiny", "arpg.pt"), vq = Fixtures.PathOf("tiny", "vq.pt");
        return
        [
            ["GenerateOne", new[] { "out.png", "golden retreiver" }, "'golden retreiver' is not an ImageNet class name (closest: 207 golden retriever"],
            ["GenerateOne", new[] { "out.png", "5000" }, "class 5000: ImageNet classes are 0..999"],
            ["Inpaint", new[] { "missing.png", "mask.png", "3", config, arpg, vq, "out.png" }, "missing.png"],
            ["Inpaint", new[] { "in.png", "mask.png", "three", config, arpg, vq, "out.png" }, "CLASS 'three' is not an integer"],
            ["Inpaint", new[] { "in.png", "mask.png", "3", "missing.json", arpg, vq, "out.png" }, "missing.json"],
        ];
    }

    [Theory, MemberData(nameof(Cases))]
    public void BadInputIsOneErrorLineAndExitCode2(string sample, string[] args, string named)
    {
        (int exitCode, string error) = Run(sample == "Inpaint" ? Inpaint : GenerateOne.Program.Main, args);

        Assert.Equal(2, exitCode);
        string line = Assert.Single(error.Split('\n'), l => l.Contains("error", StringComparison.Ordinal));
        Assert.StartsWith("error: ", line);
        Assert.Contains(named, line);
        Assert.DoesNotContain("   at ", error);
    }
}
