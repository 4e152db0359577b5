// Inpainting with the ArpgIlgpu library: regenerate the white part of a mask.
// dotnet run --project samples/Inpaint -- IMAGE MASK CLASS CONFIG.json ARPG.pt VQ.pt OUT.png
using ArpgIlgpu;
using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;

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
    using ComputeDevice device = ComputeDevice.Open(DeviceSpec.Auto);
    using StateDict arpgWeights = StateDict.Open(args[4]), vqWeights = StateDict.Open(args[5]);
    using var transformer = ArpgTransformer.Load(device, config.Arpg, arpgWeights);
    using var tokenizer = VqModel.Load(device, config.Vq, vqWeights);

    RgbImage image = ImageLoader.Read(args[0], config.Vq.DownsampleFactor, ImageFit.Reject);
    RgbImage mask = ImageLoader.Read(args[1], 1, ImageFit.Reject);
    EditResult result = new ImageEditor(transformer, tokenizer)
        .Inpaint(image, mask, classLabel, new GenerationOptions { Steps = 8 }, keepUnmasked: true);
    PngFile.Write(args[6], result.Image);
    Console.WriteLine($"{args[6]}: {result.Windows.Count} window(s) generated");
    return 0;
}
// the library names the bad input (a file, a class, a mask) in one line
catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException)
{
    return Fail(e.Message);
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 2;
}
