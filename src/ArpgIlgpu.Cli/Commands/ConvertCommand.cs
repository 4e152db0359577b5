using ArpgIlgpu.Checkpoints;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg convert IN OUT.safetensors [--dtype float32|float16|int8|keep] [--weights KEY]`: a checkpoint as safetensors.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "The checkpoint to read: .pt (torch.save) or .safetensors" };
        var output = new Argument<string>("OUT") { Description = "The safetensors file to write, named *.safetensors (replaced atomically)" };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Floating-point tensors are written as float32 (the default: what the port computes in), " +
                          "float16 (rounded to nearest even), int8 (every 2-D weight but the embeddings in q8_0: NAME as int8 and " +
                          "NAME.q8_scale as float32, one scale per row per 32 columns; the rest kept), or keep (as stored, e.g. bfloat16); " +
                          "integer tensors are kept",
            DefaultValueFactory = _ => "float32",
        };
        OptionChoices.Restrict(dtype, "float32", "float16", "int8", "keep");
        var weights = new Option<string?>("--weights")
        {
            Description = "The key of the state dict to convert from a .pt IN, e.g. ema (a training checkpoint's EMA copy); " +
                          "default: model, else module, else state_dict, else the top level, as the official loader",
        };
        var command = new Command("convert", "Convert a checkpoint (.pt or .safetensors) to a safetensors file");
        command.Arguments.Add(input);
        command.Arguments.Add(output);
        command.Options.Add(dtype);
        command.Options.Add(weights);
        command.SetAction(parseResult =>
        {
            DType? floatType = parseResult.GetValue(dtype) switch
            {
                "float16" => DType.Float16,
                "int8" => DType.Int8,
                "keep" => null,
                _ => DType.Float32,
            };
            string outputPath = parseResult.GetValue(output)!;
            if (!outputPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new InvalidInputException(
                    $"OUT {outputPath}: convert writes a safetensors file; name it {Path.ChangeExtension(Path.GetFileName(outputPath), ".safetensors")}");
            var written = CheckpointConverter.ToSafeTensors(parseResult.GetValue(input)!, outputPath, floatType,
                parseResult.GetValue(weights));
            Console.Error.WriteLine($"wrote {outputPath}: {written.Count} tensors, {written.Sum(t => t.ByteCount):N0} bytes of data");
            return CommandRunner.Ok;
        });
        return command;
    }
}
