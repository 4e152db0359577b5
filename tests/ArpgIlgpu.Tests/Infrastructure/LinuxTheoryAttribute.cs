using Xunit;

namespace ArpgIlgpu.Tests;

/// <summary>A theory that needs Linux (/proc, /bin/sh, statx, FIFOs, device nodes).</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips the test on other systems, saying what it needs.</summary>
    public LinuxTheoryAttribute(string needs = "/proc and /bin/sh")
    {
        if (!OperatingSystem.IsLinux())
            Skip = $"needs Linux: {needs}";
    }
}
