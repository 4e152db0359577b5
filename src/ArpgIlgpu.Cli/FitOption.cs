using ArpgIlgpu.Imaging;

namespace ArpgIlgpu.Cli;

/// <summary>--crop / --resize: what to do with an image whose size is not a multiple of the downsample factor.</summary>
internal static class FitOption
{
    public static ImageFit Read(bool crop, bool resize) => (crop, resize) switch
    {
        (true, true) => throw new InvalidInputException("--crop and --resize: choose one"),
        (true, false) => ImageFit.Crop,
        (false, true) => ImageFit.Resize,
        _ => ImageFit.Reject,
    };
}
