using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg outpaint IMAGE --right 128 --class C`: extends the canvas, generating the new border.</summary>
internal static class OutpaintCommand
{
    public static Command Create()
    {
        Option<int> Side(string name) => new(name) { Description = $"Pixels added on the {name[2..]} (a multiple of 16)" };
        Option<int> left = Side("--left"), right = Side("--right"), top = Side("--top"), bottom = Side("--bottom");
        var keep = new Option<bool>("--keep-original")
        {
            Description = "Paste the original pixels back over the result (default true)",
            DefaultValueFactory = _ => true,
        };
        return EditCommand.Create("outpaint", "Extend an image beyond its borders (zero-shot outpainting)", "outpainted.png",
            [left, right, top, bottom, keep], (parsed, pipeline, image, label, options, progress, observer, cancel) =>
                pipeline.Outpaint(image, parsed.GetValue(left), parsed.GetValue(right), parsed.GetValue(top),
                    parsed.GetValue(bottom), label, options, parsed.GetValue(keep), progress, cancel, observer));
    }
}
