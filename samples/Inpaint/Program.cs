// Inpainting with the ArpgIlgpu library: regenerate the white part of a mask.
// dotnet run --project samples/Inpaint -- IMAGE MASK CLASS CONFIG.json ARPG.pt VQ.pt OUT.png
using ArpgIlgpu;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;

if (args.Length != 7)
{
    Console.Error.WriteLine("usage: Inpaint IMAGE MASK CLASS CONFIG.json ARPG.pt VQ.pt OUT.png");
    return 2;
}
if (!int.TryParse(args[2], out int classLabel))
    return Fail($"CLASS '{args[2]}' is not an integer class label");
try
{
    ModelConfigFile config = ModelConfigFile.Read(args[3]);
    if (config.Arpg is null || config.Vq is null)
        return Fail($"{args[3]}: needs both an \"arpg\" and a \"vq\" object");
    using ImagePipeline pipeline = ImagePipeline.Load( // on CUDA, else OpenCL, else the CPU
        new PipelineFiles { Arpg = config.Arpg, ArpgCheckpoint = args[4], Vq = config.Vq, VqCheckpoint = args[5] });
    RgbImage image = ImageLoader.Read(args[0], config.Vq.DownsampleFactor, ImageFit.Reject);
    RgbImage mask = ImageLoader.Read(args[1], 1, ImageFit.Reject);
    EditResult result = pipeline.Inpaint(image, mask, classLabel, new GenerationOptions { Steps = 8 });
    PngFile.Write(args[6], result.Image);
    Console.WriteLine($"{args[6]}: {result.Windows.Count} window(s) generated");
    return 0;
}
catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException) // named in one line
{
    return Fail(e.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 2;
}
