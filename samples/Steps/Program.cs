using ArpgIlgpu;
using ArpgIlgpu.Generation;

namespace Steps;

/// <summary>
/// Randomized parallel decoding, step by step: prints which grid cells each step fills
/// (# this step, o before, . not yet) as ImagePipeline.GenerateSteps streams them.
///   Steps [CLASS] [STEPS] [MODEL]   CLASS: a number or an ImageNet name (default: golden retriever)
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int steps = 8;
        if (args.Length > 1 && !int.TryParse(args[1], out steps))
            return Fail($"STEPS '{args[1]}' is not an integer");
        try
        {
            int classLabel = ImageNetClasses.Find(args.Length > 0 ? args[0] : "golden retriever").Number;
            using ImagePipeline pipeline = ImagePipeline.FromPretrained(args.Length > 2 ? args[2] : "tiny-random");
            int side = pipeline.Transformer.Config.GridSize;
            await foreach (GenerationStep step in pipeline.GenerateSteps([classLabel], new GenerationOptions { Steps = steps }))
            {
                Console.WriteLine($"step {step.Step + 1}/{step.Steps}: {step.Positions.Count} tokens");
                for (int row = 0; row < side; row++)
                    Console.WriteLine(string.Concat(Enumerable.Range(row * side, side).Select(cell =>
                        step.Positions.Contains(cell) ? '#' : step.Canvas[0][cell] >= 0 ? 'o' : '.')));
            }
            return 0;
        }
        catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException) // named in one line
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message) { Console.Error.WriteLine($"error: {message}"); return 2; }
}
