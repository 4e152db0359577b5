using Xunit;

namespace ArpgIlgpu.Tests;

/// <summary>A fact that needs Linux (signals sent with kill(1), /proc, FIFOs, device nodes).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <summary>Skips the test on other systems, saying what it needs.</summary>
    public LinuxFactAttribute(string needs = "sends SIGINT with kill(1)")
    {
        if (!OperatingSystem.IsLinux())
            Skip = $"needs Linux: {needs}";
    }
}
