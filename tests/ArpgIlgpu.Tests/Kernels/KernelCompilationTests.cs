using System.Reflection;
using System.Text.RegularExpressions;
using ArpgIlgpu.Kernels;
using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Xunit;

namespace ArpgIlgpu.Tests.Kernels;

/// <summary>
/// Every kernel of the library compiles to PTX for an NVIDIA GPU (SM_80) and to OpenCL C for an
/// AMD GPU, with no device present: a kernel that only works on the CPU accelerator fails here.
/// </summary>
public class KernelCompilationTests
{
    /// <summary>Every kernel, generic ones once per storage type: "Type.Method" or "Type.Method&lt;fp16&gt;".</summary>
    public static IEnumerable<object[]> AllKernels() =>
        KernelMethods().SelectMany(m => m.IsGenericMethodDefinition
                ? new[] { $"{m.DeclaringType!.Name}.{m.Name}<fp32>", $"{m.DeclaringType!.Name}.{m.Name}<fp16>" }
                : new[] { $"{m.DeclaringType!.Name}.{m.Name}" })
            .Order()
            .Select(name => new object[] { name });

    internal static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(ComputeDevice).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(m => m.GetCustomAttribute<KernelAttribute>() is not null);

    [Fact]
    public void TheLibraryHasKernels() => Assert.True(AllKernels().Count() >= 8);

    [Theory, MemberData(nameof(AllKernels))]
    public void CompilesToPtxForSm80(string kernel)
    {
        using Context context = DeviceFreeContext();
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null!);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPoint(kernel), default);
        Assert.Contains(".entry", compiled.PTXAssembly);
    }

    [Theory, MemberData(nameof(AllKernels))]
    public void CompilesToOpenClForAmdWithoutGenericPointers(string kernel)
    {
        using Context context = DeviceFreeContext();
        using var backend = new CLBackend(context, AmdGpuCapabilities(), CLDeviceVendor.AMD, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPoint(kernel), default);
        Assert.Contains("kernel void", compiled.Source);
        // PoCL (the CI's OpenCL) has no generic address space; see PoclCompatibility.
        Assert.DoesNotContain("__generic", compiled.Source);
    }

    /// <summary>
    /// Every kernel compiles for an OpenCL GPU without fp64 (most Intel GPUs): ILGPU refuses a
    /// kernel that needs doubles there, so a double that slips into a kernel fails here.
    /// </summary>
    [Theory, MemberData(nameof(AllKernels))]
    public void CompilesToOpenClForAGpuWithoutFloat64(string kernel)
    {
        using Context context = DeviceFreeContext();
        using var backend = new CLBackend(context, OpenClGpuCapabilities(float64: false), CLDeviceVendor.Intel, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPoint(kernel), default);
        Assert.DoesNotContain("double", compiled.Source);
    }

    /// <summary>
    /// The GEMM's multiply-adds reach OpenCL C as single expressions "t = a * b + c;", which the
    /// OpenCL compiler may fuse (<see cref="MultiplyAdd"/>): 16 for the 4 x 4 register block and 8
    /// for the 2 x 4 one that takes a last one or two rows of x.
    /// </summary>
    [Fact]
    public void TheGemmsMultiplyAddsAreOneOpenClExpressionEach()
    {
        using Context context = DeviceFreeContext();
        using var backend = new CLBackend(context, AmdGpuCapabilities(), CLDeviceVendor.AMD, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPoint("GemmKernels.RowBlocked<fp32>"), default);
        Assert.Equal(16 + 8, Regex.Matches(compiled.Source, @"= var\d+\s*\*\s*var\d+\s*\+\s*var\d+;").Count);
    }

    /// <summary>
    /// The tiled GEMM's inner loop reads shared memory as 16-byte vectors: 4 ld.shared.v4.f32 per
    /// k of the 8 x 8 block (32 per slice of 8), 2 of the 4 x 4 block (16), for either weight
    /// storage, with 32-bit index math (each address is a 32-bit index widened once, mul.wide.u32).
    /// </summary>
    [Theory]
    [InlineData("GemmTileKernels.Tiled128<fp32>", 32)]
    [InlineData("GemmTileKernels.Tiled128<fp16>", 32)]
    [InlineData("GemmTileKernels.Tiled64<fp32>", 16)]
    [InlineData("GemmTileKernels.Tiled64<fp16>", 16)]
    public void TheTiledGemmReadsSharedMemoryAsVectors(string kernel, int vectorLoads)
    {
        using Context context = DeviceFreeContext();
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null!);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPoint(kernel), default);
        string ptx = compiled.PTXAssembly;
        Assert.Equal(vectorLoads, Regex.Matches(ptx, @"ld\.shared\.v4\.f32").Count);
        // and the unrolled slice between its first and last vector load does no 64-bit multiply
        string slice = ptx[ptx.IndexOf("ld.shared.v4.f32", StringComparison.Ordinal)..ptx.LastIndexOf("ld.shared.v4.f32", StringComparison.Ordinal)];
        Assert.DoesNotMatch(@"m(ul|ad)\.lo\.[su]64", slice);
    }

    /// <summary>A context with no devices, built with ComputeDevice's compiler settings.</summary>
    internal static Context DeviceFreeContext() => Context.Create(b => ComputeDevice.WithCompilerSettings(b));

    /// <summary>An OpenCL 2.0 AMD GPU: float64 and the generic address space, no fp16, no subgroups.</summary>
    private static CLCapabilityContext AmdGpuCapabilities() => OpenClGpuCapabilities(float64: true);

    /// <summary>
    /// An OpenCL GPU with the generic address space, no fp16, no subgroups, and float64 as
    /// <paramref name="float64"/>. (The constructor's parameters are generated from ILGPU's
    /// capability list, so they are matched by name rather than position.)
    /// </summary>
    internal static CLCapabilityContext OpenClGpuCapabilities(bool float64)
    {
        ConstructorInfo ctor = typeof(CLCapabilityContext).GetConstructors()
            .Single(c => c.GetParameters().All(p => p.ParameterType == typeof(bool)));
        object[] args = ctor.GetParameters()
            .Select(p => (object)(p.Name!.Contains("generic", StringComparison.OrdinalIgnoreCase)
                                  || (float64 && p.Name.Contains("float64", StringComparison.OrdinalIgnoreCase))))
            .ToArray();
        return (CLCapabilityContext)ctor.Invoke(args);
    }

    /// <summary>The entry point of a kernel name from <see cref="AllKernels"/>, generic ones closed over their storage.</summary>
    internal static EntryPointDescription EntryPoint(string kernel)
    {
        string[] parts = kernel.Split('.', '<', '>');
        MethodInfo method = KernelMethods().Single(m => m.DeclaringType!.Name == parts[0] && m.Name == parts[1]);
        if (method.IsGenericMethodDefinition)
            method = parts[2] == "fp16"
                ? method.MakeGenericMethod(typeof(ushort), typeof(Fp16Storage))
                : method.MakeGenericMethod(typeof(float), typeof(Fp32Storage));
        return method.GetCustomAttribute<KernelAttribute>()!.ExplicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(method);
    }
}
