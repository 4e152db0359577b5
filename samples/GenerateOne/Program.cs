using ArpgIlgpu;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;

namespace GenerateOne;

/// <summary>
/// One picture of one class, saved as PNG: the library's whole path in a few lines.
///   GenerateOne [OUT.png] [CLASS] [MODEL]   CLASS: a number or an ImageNet name (default: golden retriever)
///                                           MODEL: tiny-random (default: noise, no download) or
///                                           ARPG-L, ARPG-XL, ARPG-XXL (weights downloaded once into the cache)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string output = args.Length > 0 ? args[0] : "generated.png";
        try
        {
            int classLabel = ImageNetClasses.Find(args.Length > 1 ? args[1] : "golden retriever").Number; // a number or a name
            using ImagePipeline pipeline = ImagePipeline.FromPretrained(args.Length > 2 ? args[2] : "tiny-random");
            RgbImage[] images = pipeline.Generate([classLabel], new GenerationOptions { Steps = 64, Cfg = 4f });
            PngFile.Write(output, images[0]);
            Console.WriteLine($"{output}: class {classLabel}, {images[0].Width}x{images[0].Height}, on {pipeline.Device.Name}");
            return 0;
        }
        catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException) // named in one line
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
