using ArpgIlgpu;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

namespace GenerateOne;

/// <summary>
/// One picture of one class, saved as PNG: the library's whole path in a few lines.
///   GenerateOne [OUT.png] [CLASS]                 tiny-random models (noise, no download needed)
///   GenerateOne OUT.png CLASS ARPG.pt VQ.pt       the released ARPG-L and VQ-16 weights
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string output = args.Length > 0 ? args[0] : "generated.png";
        int classLabel = 207; // ImageNet 207: golden retriever
        if (args.Length > 1 && !int.TryParse(args[1], out classLabel))
            return Fail($"CLASS '{args[1]}' is not an integer class label");
        try
        {
            using ComputeDevice device = ComputeDevice.Open(DeviceSpec.Auto); // CUDA, else OpenCL, else the CPU
            using ImagePipeline pipeline = args.Length > 3
                ? ImagePipeline.Load(device, ArpgConfig.Presets["ARPG-L"], args[2], VqConfig.Vq16, args[3])
                : ImagePipeline.CreateRandom(device, TinyRandom.Arpg, TinyRandom.Vq, TinyRandom.WeightSeed);
            RgbImage[] images = pipeline.Generate([classLabel], new GenerationOptions { Steps = 64, Cfg = 4f });
            PngFile.Write(output, images[0]);
            Console.WriteLine($"{output}: class {classLabel}, {images[0].Width}x{images[0].Height}, on {device.Name}");
            return 0;
        }
        // the library names the bad input (a file, a class, an option) in one line
        catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }
}
