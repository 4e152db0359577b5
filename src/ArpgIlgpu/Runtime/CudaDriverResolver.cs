using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// Lets ILGPU find the CUDA driver on Linux machines that have only the driver installed. ILGPU
/// imports the driver as "cuda", which .NET looks for as libcuda.so (and a few spellings of it),
/// but a driver-only install (no CUDA toolkit, no -dev package) ships only the versioned
/// libcuda.so.1. ILGPU then reports no CUDA device and the device <c>auto</c> quietly falls back to
/// OpenCL or the CPU. This resolver, installed on ILGPU's assembly before the first context,
/// loads libcuda.so.1 when the plain name fails.
/// </summary>
internal static class CudaDriverResolver
{
    /// <summary>The library name ILGPU 1.5.3 DllImports the CUDA driver API under on Linux (CudaAPI.xml).</summary>
    public const string IlgpuDriverName = "cuda";

    /// <summary>The driver's versioned soname, which every Linux driver install has.</summary>
    public const string DriverSoname = "libcuda.so.1";

    private static int installed;

    /// <summary>Installs the resolver once (later calls do nothing); on Linux only.</summary>
    public static void Install()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref installed, 1) != 0)
            return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The host application set its own resolver for ILGPU first: that one decides.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        Lookup(name, candidate => NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle) ? handle : IntPtr.Zero);

    /// <summary>
    /// The handle for library <paramref name="name"/>: for ILGPU's CUDA driver name, the plain name
    /// as .NET probes it, else <see cref="DriverSoname"/>, each through <paramref name="tryLoad"/>
    /// (a handle, or zero when that name does not load). Zero for every other name, which leaves
    /// it to .NET's own probing.
    /// </summary>
    internal static IntPtr Lookup(string name, Func<string, IntPtr> tryLoad)
    {
        if (name != IlgpuDriverName)
            return IntPtr.Zero;
        IntPtr plain = tryLoad(name);
        return plain != IntPtr.Zero ? plain : tryLoad(DriverSoname);
    }
}
