using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg encode IMAGE --save-tokens F.json`: a picture to its token grid (the nearest codes).</summary>
internal static class EncodeCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var image = new Argument<string>("IMAGE") { Description = "A PNG or JPEG image; its sides must be multiples of the downsample factor (16)" };
        var saveTokens = new Option<string>("--save-tokens") { Description = "Where to write the tokens JSON", Required = true };
        var crop = new Option<bool>("--crop") { Description = "Centre-crop to the nearest multiple of the downsample factor" };
        var resize = new Option<bool>("--resize") { Description = "Resize to the nearest multiple of the downsample factor" };
        var command = new Command("encode", "Encode an image into VQ tokens");
        command.Arguments.Add(image);
        command.Options.Add(saveTokens);
        command.Options.Add(crop);
        command.Options.Add(resize);
        models.AddTo(command, transformer: false, tokenizer: true);
        command.SetAction(async (parsed, cancel) =>
        {
            ImageFit fit = FitOption.Read(parsed.GetValue(crop), parsed.GetValue(resize));
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: false, tokenizer: true, cancel);
            RunOutputs.Check([("--save-tokens", parsed.GetValue(saveTokens))]);
            RgbImage picture = ImageLoader.Read(parsed.GetValue(image)!, choice.Vq.DownsampleFactor, fit);

            using ComputeDevice device = models.OpenDevice(parsed);
            using ImagePipeline pipeline = choice.Open(device, PipelineParts.Tokenizer);
            VqEncoding encoding = pipeline.Encode(picture, cancel);
            new TokenFile(null, [encoding.Codes]).Write(parsed.GetValue(saveTokens)!);
            Console.Error.WriteLine($"{encoding.GridWidth}x{encoding.GridHeight} tokens (width x height) written to {parsed.GetValue(saveTokens)}");
            return CommandRunner.Ok;
        });
        return command;
    }
}
