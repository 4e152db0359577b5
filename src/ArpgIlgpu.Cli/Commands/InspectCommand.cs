using ArpgIlgpu.Checkpoints;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg inspect FILE`: the tensors of a checkpoint (name, dtype, shape) and its parameter count.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A checkpoint: .pt (torch.save) or .safetensors" };
        var command = new Command("inspect", "List the tensors of a checkpoint with their dtypes and shapes");
        command.Arguments.Add(file);
        command.SetAction(parseResult =>
        {
            using StateDict stateDict = StateDict.Open(parseResult.GetValue(file)!);
            var infos = stateDict.Names.Select(stateDict.Info).ToList();
            int nameWidth = infos.Select(i => i.Name.Length).DefaultIfEmpty(0).Max();
            foreach (TensorInfo info in infos)
                Console.WriteLine($"{info.Name.PadRight(nameWidth)}  {info.DType.TorchName(),-8}  {TensorInfo.FormatShape(info.Shape)}");
            long parameters = infos.Sum(i => i.ElementCount);
            Console.WriteLine($"{infos.Count} tensors, {parameters:N0} parameters ({stateDict.Format}, state dict at {stateDict.FoundAt})");
            return CommandRunner.Ok;
        });
        return command;
    }
}
