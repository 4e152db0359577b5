using Xunit;

namespace ArpgIlgpu.Tests;

/// <summary>A theory that needs /dev/full (Linux), where every write fails with "no space left".</summary>
public sealed class DevFullTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips the test where there is no /dev/full.</summary>
    public DevFullTheoryAttribute()
    {
        if (!File.Exists("/dev/full"))
            Skip = "needs /dev/full (Linux) to simulate a full disk";
    }
}
