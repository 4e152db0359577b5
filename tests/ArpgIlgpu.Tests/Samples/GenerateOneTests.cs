using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace ArpgIlgpu.Tests.Samples;

/// <summary>samples/GenerateOne runs without downloads and makes the picture `arpg generate` makes.</summary>
public class GenerateOneTests
{
    [Fact]
    public void WritesTheTinyRandomPictureThatArpgGenerateMakes()
    {
        using var dir = new TempDirectory();
        TextWriter originalOut = Console.Out;
        Console.SetOut(TextWriter.Null);
        int exitCode;
        try
        {
            exitCode = GenerateOne.Program.Main([dir.File("one.png"), "207"]);
        }
        finally
        {
            Console.SetOut(originalOut);
        }
        // the same defaults on the same device (auto): 64 steps, guidance 4 (linear), seed 0, image 0
        CliResult cli = CliInvocation.Run("generate", "--model", "tiny-random", "--classes", "207", "--out", dir.File("cli"));

        Assert.Equal(0, exitCode);
        Assert.True(cli.ExitCode == 0, cli.Error);
        using var sample = Image.Load<Rgb24>(dir.File("one.png"));
        using var reference = Image.Load<Rgb24>(dir.File(Path.Combine("cli", "0000_207_golden_retriever.png")));
        Assert.Equal((256, 256), (sample.Width, sample.Height));
        var a = new byte[256 * 256 * 3];
        var b = new byte[256 * 256 * 3];
        sample.CopyPixelDataTo(a);
        reference.CopyPixelDataTo(b);
        Assert.Equal(b, a);
    }
}
