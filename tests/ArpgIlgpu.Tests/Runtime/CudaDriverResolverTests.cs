using System.Reflection;
using System.Runtime.InteropServices;
using ArpgIlgpu.Runtime;
using ILGPU;
using Xunit;

namespace ArpgIlgpu.Tests.Runtime;

/// <summary>The CUDA driver is found as libcuda.so.1 when the plain name does not load (a driver-only install).</summary>
public class CudaDriverResolverTests
{
    private static readonly IntPtr Handle = new(42);

    [Fact]
    public void FallsBackToTheVersionedSonameWhenThePlainNameFails()
    {
        var tried = new List<string>();
        IntPtr handle = CudaDriverResolver.Lookup("cuda", name =>
        {
            tried.Add(name);
            return name == "libcuda.so.1" ? Handle : IntPtr.Zero;
        });
        Assert.Equal(Handle, handle);
        Assert.Equal(["cuda", "libcuda.so.1"], tried);
    }

    [Fact]
    public void UsesThePlainNameWhenItLoads()
    {
        var tried = new List<string>();
        IntPtr handle = CudaDriverResolver.Lookup("cuda", name =>
        {
            tried.Add(name);
            return Handle;
        });
        Assert.Equal(Handle, handle);
        Assert.Equal(["cuda"], tried);
    }

    [Fact]
    public void ReportsNothingWhenNeitherLoads() =>
        Assert.Equal(IntPtr.Zero, CudaDriverResolver.Lookup("cuda", _ => IntPtr.Zero));

    [Fact]
    public void LeavesOtherLibrariesToDotnetsProbing()
    {
        var tried = new List<string>();
        Assert.Equal(IntPtr.Zero, CudaDriverResolver.Lookup("OpenCL", name =>
        {
            tried.Add(name);
            return Handle;
        }));
        Assert.Empty(tried);
    }

    /// <summary>The name the resolver answers for is the one ILGPU really imports cuInit from on Linux.</summary>
    [Fact]
    public void ResolvesTheNameIlgpuImportsTheDriverUnder()
    {
        Type[] types;
        try
        {
            types = typeof(Context).Assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.OfType<Type>().ToArray();
        }
        string[] libraries = types
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(m => m.GetCustomAttribute<DllImportAttribute>())
            .Where(a => a is not null && (a.EntryPoint ?? "") == "cuInit")
            .Select(a => a!.Value)
            .Distinct()
            .ToArray();
        Assert.Contains(CudaDriverResolver.IlgpuDriverName, libraries);
    }
}
