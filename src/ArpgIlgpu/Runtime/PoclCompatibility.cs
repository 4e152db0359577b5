using ILGPU.Runtime.OpenCL;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// Lets ILGPU's OpenCL backend run on PoCL, the portable CPU implementation of OpenCL, and run
/// fast there.
/// </summary>
/// <remarks>
/// ILGPU 1.5.3 accepts only OpenCL devices that report the generic address space. PoCL 3.x
/// (Debian 12) reports OpenCL 3.0 without it, so ILGPU would hide the device. At optimisation
/// level O2 (which <see cref="ComputeDevice"/> always uses) ILGPU infers a concrete address space
/// for every pointer our kernels use, so the generated OpenCL C needs no generic pointers and
/// PoCL compiles it. The kernel-compilation test checks that no kernel's OpenCL C mentions
/// <c>__generic</c>, so a kernel that would break this cannot be added unnoticed.
/// </remarks>
internal static class PoclCompatibility
{
    private static int warned;
    private static readonly HashSet<string> marked = [];

    /// <summary>True for a PoCL device.</summary>
    public static bool IsPocl(CLDevice device) =>
        device.PlatformName.Contains("Portable Computing Language", StringComparison.OrdinalIgnoreCase)
        || device.PlatformName.Contains("PoCL", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Marks a PoCL device as supporting the generic address space (ILGPU's setter is internal,
    /// hence reflection), before any accelerator is created for it.
    /// </summary>
    public static void MarkGenericAddressSpaceCapable(CLDevice device)
    {
        if (device.Capabilities.GenericAddressSpace || !IsPocl(device))
            return;
        PropertyInfo? setter = device.Capabilities.GetType().GetProperty(
            nameof(CLCapabilityContext.GenericAddressSpace), BindingFlags.Public | BindingFlags.Instance);
        if (setter?.SetMethod is null)
            return; // a future ILGPU changed the property: leave the device hidden rather than guess
        setter.SetValue(device.Capabilities, true);
        lock (marked)
            marked.Add(device.Name);
    }

    /// <summary>The flag <see cref="AllowReassociation"/> adds to PoCL's program builds.</summary>
    public const string ReassociationFlag = "-cl-unsafe-math-optimizations";

    /// <summary>
    /// Lets PoCL reorder float sums, by adding <see cref="ReassociationFlag"/> to
    /// POCL_EXTRA_BUILD_FLAGS, which PoCL reads at every program build (other OpenCL platforms
    /// ignore it; a value the user set is kept). ILGPU builds every program with -cl-std only, and
    /// without permission to reassociate LLVM does not vectorise a running sum, so every dot
    /// product on PoCL ran one float at a time. Measured with `arpg bench kernels` on the 2-core
    /// CI machine: the register-blocked GEMM at 2 x 1024 x 1024 went from 2.8 to 19 GB/s and at
    /// 128 x 1024 x 1024 from 9.8 to 70 GFLOP/s. The flag also lets x/y become x*(1/y) and ignores
    /// the sign of zero; infinities and NaNs keep their meaning (it is not -cl-fast-relaxed-math),
    /// so masked attention is unchanged. Sums round differently in their last bits, as they do on
    /// any backend that adds in another order; the fixtures' tolerances hold. The variable is
    /// process-wide: OpenCL programs that other code in this process builds on PoCL get the flag
    /// too. .NET keeps its own copy of the environment, so it is set through the C library (Linux
    /// and macOS, where PoCL runs).
    /// </summary>
    public static void AllowReassociation()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
            return;
        const string name = "POCL_EXTRA_BUILD_FLAGS";
        string current = Environment.GetEnvironmentVariable(name) ?? "";
        if (current.Contains(ReassociationFlag, StringComparison.Ordinal))
            return;
        string value = (current + " " + ReassociationFlag).Trim();
        if (SetEnv(name, value, 1) == 0)
            Environment.SetEnvironmentVariable(name, value); // .NET's copy, for anyone who asks
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>Says once on stderr that a device about to be used was marked capable.</summary>
    public static void NoteIfMarked(string deviceName)
    {
        bool wasMarked;
        lock (marked)
            wasMarked = marked.Contains(deviceName);
        if (wasMarked && Interlocked.Exchange(ref warned, 1) == 0)
            Console.Error.WriteLine(
                $"note: PoCL device '{deviceName}' does not report OpenCL's generic address space; " +
                "using it anyway (our kernels compile without generic pointers at -O2)");
    }
}
