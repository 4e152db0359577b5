using Xunit;

namespace ArpgIlgpu.Tests.Weights;

/// <summary>A fact that needs /dev/full (Linux), the device on which every write fails with "no space left".</summary>
public sealed class DevFullFactAttribute : FactAttribute
{
    /// <summary>Skips the test where there is no /dev/full.</summary>
    public DevFullFactAttribute()
    {
        if (!File.Exists("/dev/full"))
            Skip = "needs /dev/full (Linux) to simulate a full disk";
    }
}
