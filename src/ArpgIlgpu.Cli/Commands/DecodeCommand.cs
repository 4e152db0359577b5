using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg decode --tokens F.json --out DIR`: token grids to PNGs through the VQ tokenizer.</summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var tokens = new Option<string>("--tokens") { Description = "Tokens JSON ({\"classes\": [...], \"tokens\": [[...], ...]})", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs (created if missing)", DefaultValueFactory = _ => "out" };
        var grid = new Option<bool>("--grid") { Description = "Also write grid.png with every image" };
        var command = new Command("decode", "Decode token grids to PNG images with the VQ tokenizer");
        command.Options.Add(tokens);
        command.Options.Add(output);
        command.Options.Add(grid);
        models.AddTo(command, transformer: false, tokenizer: true);
        command.SetAction(async (parsed, cancel) =>
        {
            TokenFile file = TokenFile.Read(parsed.GetValue(tokens)!);
            ModelChoice choice = await models.ResolveAsync(parsed, transformer: false, tokenizer: true, cancel);
            file.RequireTokensBelow(choice.Vq.CodebookSize, parsed.GetValue(tokens)!);
            string folder = OutputFolder.Prepare(parsed.GetValue(output)!);

            using ComputeDevice device = models.OpenDevice(parsed);
            using ImagePipeline pipeline = choice.Open(device, PipelineParts.Tokenizer);
            RgbImage[] images;
            using (ProgressDisplay display = ProgressDisplay.OnStderr())
                images = PictureDecoding.Decode(display, $"{file.Tokens.Count} image(s)", pipeline, file.Tokens, cancel);
            using (var files = new PngBatch())
            {
                for (int i = 0; i < images.Length; i++)
                    files.Add(Path.Combine(folder, OutputFolder.ImageName(i, file.Classes?[i])), images[i]);
                files.Commit();
            }
            if (parsed.GetValue(grid))
                PngFile.Write(Path.Combine(folder, "grid.png"), ImageGrid.Combine(images, (int)Math.Ceiling(Math.Sqrt(images.Length))));
            Console.Error.WriteLine($"{images.Length} image(s) written to {folder}");
            return CommandRunner.Ok;
        });
        return command;
    }
}
