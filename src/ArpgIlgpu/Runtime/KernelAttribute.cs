namespace ArpgIlgpu.Runtime;

/// <summary>
/// Marks a static method as an ILGPU kernel of the library. The kernel-compilation test finds
/// every marked method and compiles it to PTX and to OpenCL C without a device, so a kernel that
/// only works on the CPU accelerator cannot be added unnoticed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KernelAttribute : Attribute
{
    /// <summary>
    /// True for an explicitly grouped kernel (launched with a group size, may use shared memory
    /// and barriers); false for an implicitly grouped one (one index per thread, no barriers).
    /// </summary>
    public bool ExplicitlyGrouped { get; init; }
}
