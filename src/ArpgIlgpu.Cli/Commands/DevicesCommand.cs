using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>`arpg devices`: every accelerator ILGPU finds, with what matters for choosing one.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the accelerators ILGPU finds (CUDA, OpenCL, CPU)");
        command.SetAction(_ =>
        {
            Console.WriteLine($"{"device",-10} {"memory",10} {"group",6} {"warp",5} {"fp16",8}  name");
            foreach (DeviceDescription d in ComputeDevice.ListAll())
            {
                string memory = d.MemoryBytes == long.MaxValue ? "host" : ComputeDevice.FormatBytes(d.MemoryBytes);
                Console.WriteLine(
                    $"{d.Spec,-10} {memory,10} {d.MaxGroupSize,6} {(d.WarpSize > 0 ? d.WarpSize.ToString() : "-"),5} {d.Float16,8}  {d.Name}");
            }
            return CommandRunner.Ok;
        });
        return command;
    }
}
