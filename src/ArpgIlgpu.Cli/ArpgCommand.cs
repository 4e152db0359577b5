using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>The `arpg` root command: one subcommand per file in Commands/.</summary>
internal static class ArpgCommand
{
    /// <summary>Runs `arpg <paramref name="args"/>`; <paramref name="cancel"/> stops it as Ctrl-C does.</summary>
    public static int Run(string[] args, CancellationToken cancel = default)
    {
        var root = new RootCommand("ARPG image generation on ILGPU (CUDA, OpenCL, CPU)");
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ClassesCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(DecodeCommand.Create());
        root.Subcommands.Add(EncodeCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(InpaintCommand.Create());
        root.Subcommands.Add(OutpaintCommand.Create());
        root.Subcommands.Add(ExpandCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(SelftestCommand.Create());
        root.Subcommands.Add(HelpCommand.Create(root));
        return CommandRunner.Invoke(root, args, cancel);
    }
}
