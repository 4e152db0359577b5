using ILGPU.Runtime.OpenCL;
using System.Reflection;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// Lets ILGPU's OpenCL backend run on PoCL, the portable CPU implementation of OpenCL.
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
