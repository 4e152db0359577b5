using Xunit;

namespace ArpgIlgpu.Tests;

/// <summary>A fact that needs Linux (signals sent with kill(1), /proc).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <summary>Skips the test on other systems.</summary>
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "needs Linux: sends SIGINT with kill(1)";
    }
}
