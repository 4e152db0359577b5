namespace ArpgIlgpu.Cli;

internal static class Program
{
    private static int Main(string[] args) => ArpgCommand.Run(args);
}
