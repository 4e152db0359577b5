using System.Text.RegularExpressions;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Runtime;

/// <summary>
/// Opening an OpenCL device lets PoCL reassociate float sums: without that flag PoCL vectorised
/// none of our reductions (the PoCL batch-1 benchmark took 51 s instead of 16).
/// </summary>
public class PoclCompatibilityTests
{
    [Theory, OpenCl]
    public void OpeningAnOpenClDeviceAddsTheReassociationFlagOnce(string backend)
    {
        TestDevices.Get(backend); // opened through ComputeDevice.Open, once per test run
        Assert.Single(FlagsSet());
        PoclCompatibility.AllowReassociation(); // again: must not add the flag twice
        Assert.Single(FlagsSet());
    }

    private static MatchCollection FlagsSet()
    {
        string flags = Environment.GetEnvironmentVariable("POCL_EXTRA_BUILD_FLAGS") ?? "";
        return Regex.Matches(flags, Regex.Escape(PoclCompatibility.ReassociationFlag));
    }
}
