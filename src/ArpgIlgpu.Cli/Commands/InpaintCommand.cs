using ArpgIlgpu.Imaging;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg inpaint IMAGE --mask MASK.png --class C`: regenerates the white part of the mask.</summary>
internal static class InpaintCommand
{
    public static Command Create()
    {
        var mask = new Option<string>("--mask") { Description = "PNG of the image's size, white where content is regenerated", Required = true };
        var keep = new Option<bool>("--keep-unmasked")
        {
            Description = "Keep the input's pixels outside the mask (default true)",
            DefaultValueFactory = _ => true,
        };
        return EditCommand.Create("inpaint", "Regenerate the masked part of an image (zero-shot inpainting)", "inpainted.png",
            [mask, keep], (parsed, pipeline, image, label, options, progress, observer, cancel) =>
            {
                RgbImage maskImage = ImageLoader.Read(parsed.GetValue(mask)!, 1, ImageFit.Reject);
                return pipeline.Inpaint(image, maskImage, label, options, parsed.GetValue(keep), progress, cancel, observer);
            });
    }
}
