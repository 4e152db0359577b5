using System.Collections.Concurrent;
using ArpgIlgpu.Runtime;
using Xunit;
using Xunit.Sdk;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace ArpgIlgpu.Tests;

/// <summary>
/// The devices tests run on, each opened once per test run. Tests name a backend as a string so
/// that xunit can show it in the test name: a <c>--device</c> value ("cpu", "opencl", the GPU
/// simulators "cpu:nvidia", "cpu:amd", "cpu:intel"), optionally followed by "+" and a forced
/// kernel profile ("opencl+gpu": the GPU kernels on PoCL).
/// </summary>
public static class TestDevices
{
    private static readonly ConcurrentDictionary<string, Lazy<ComputeDevice?>> opened = new();
    private static readonly Lazy<bool> openClPresent = new(() => Open("opencl") is not null);

    /// <summary>Why OpenCL tests are skipped here, or null when an OpenCL device is present.</summary>
    public static string? OpenClSkipReason => openClPresent.Value
        ? null
        : "needs an OpenCL device and none was found (CI installs PoCL: apt-get install pocl-opencl-icd ocl-icd-opencl-dev)";

    /// <summary>ILGPU's GPU simulators, which run the GPU kernel profile.</summary>
    public static readonly string[] Simulators = ["cpu:nvidia", "cpu:amd", "cpu:intel"];

    /// <summary>True when one of <paramref name="backends"/> needs OpenCL and this machine has none.</summary>
    public static bool NeedsMissingOpenCl(string[] backends) =>
        OpenClSkipReason is not null && backends.Any(b => b.StartsWith("opencl", StringComparison.Ordinal));

    /// <summary>The suffix of a backend name that opens its device with tensor cores on ("cpu+tensor-cores").</summary>
    public const string TensorCores = "+tensor-cores";

    /// <summary>A backend name as the command line's options: --device, --kernels when it forces a profile, --tensor-cores.</summary>
    public static string[] CliArguments(string backend) =>
        backend.EndsWith(TensorCores, StringComparison.Ordinal)
            ? [.. CliArguments(backend[..^TensorCores.Length]), "--tensor-cores"]
            : backend.Split('+') switch
            {
                [string device] => ["--device", device],
                [string device, string kernels] => ["--device", device, "--kernels", kernels],
                _ => throw new ArgumentException($"backend '{backend}': expected DEVICE or DEVICE+PROFILE, then optionally {TensorCores}"),
            };

    /// <summary>The device for a backend name used in test data.</summary>
    public static ComputeDevice Get(string backend) =>
        Open(backend) ?? throw new InvalidOperationException(OpenClSkipReason);

    private static ComputeDevice? Open(string backend) => opened.GetOrAdd(backend, name => new Lazy<ComputeDevice?>(() =>
    {
        bool tensorCores = name.EndsWith(TensorCores, StringComparison.Ordinal);
        string[] parts = (tensorCores ? name[..^TensorCores.Length] : name).Split('+');
        KernelProfile profile = parts.Length > 1 ? KernelProfileNames.Parse(parts[1]) : KernelProfile.Auto;
        try
        {
            return ComputeDevice.Open(DeviceSpec.Parse(parts[0]), profile, tensorCores);
        }
        catch (InvalidInputException) when (parts[0].StartsWith("opencl", StringComparison.Ordinal))
        {
            return null; // no OpenCL device: the OpenCL cases report themselves skipped
        }
    })).Value;
}

/// <summary>
/// Backend theories: <c>[Theory, Cpu, OpenCl]</c> runs a test once per backend, passing "cpu" or
/// "opencl"; backends that need OpenCL are reported as skipped, with the reason, where it is absent.
/// </summary>
/// <summary>The CPU-accelerator case: "cpu".</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CpuAttribute() : BackendCase("cpu");

/// <summary>The OpenCL case: "opencl" (PoCL in CI, with its own kernel profile).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenClAttribute() : BackendCase("opencl");

/// <summary>The GPU kernel profile on OpenCL: "opencl+gpu" (real OpenCL C with local memory and barriers on PoCL).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenClGpuAttribute() : BackendCase("opencl+gpu");

/// <summary>
/// ILGPU's three GPU simulators, which run the GPU profile: "cpu:nvidia" (warps of 32), "cpu:amd"
/// (64), "cpu:intel" (16), so that a kernel that assumes a warp size or races on shared memory
/// fails here.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SimulatorsAttribute() : BackendCase(TestDevices.Simulators);

/// <summary>The cases of one attribute: each backend name as the theory's first argument; skipped without OpenCl where one needs it.</summary>
public abstract class BackendCase : DataAttribute
{
    private readonly string[] backends;

    /// <summary>Yields <paramref name="backends"/>.</summary>
    protected BackendCase(params string[] backends)
    {
        this.backends = backends;
        if (TestDevices.NeedsMissingOpenCl(backends))
            Skip = TestDevices.OpenClSkipReason!;
    }

    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) =>
        backends.Select(b => new object[] { b });
}

/// <summary>
/// Member data run on backends: <c>[Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]</c>
/// passes "cpu" (or "opencl") followed by each row of the member.
/// </summary>
public abstract class BackendCases : MemberDataAttributeBase
{
    private readonly string[] backends;

    /// <summary>Each row of <paramref name="memberName"/> on each of <paramref name="backends"/>.</summary>
    protected BackendCases(string memberName, params string[] backends) : base(memberName, [])
    {
        this.backends = backends;
        if (TestDevices.NeedsMissingOpenCl(backends))
            Skip = TestDevices.OpenClSkipReason!;
    }

    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) =>
        backends.SelectMany(b => base.GetData(testMethod).Select(row => (object[])[b, .. row]));

    /// <inheritdoc />
    protected override object[] ConvertDataItem(System.Reflection.MethodInfo testMethod, object item) =>
        (object[])item;
}

/// <summary>Member data on the CPU accelerator.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CpuCasesAttribute(string memberName) : BackendCases(memberName, "cpu");

/// <summary>Member data on OpenCL; skipped, with the reason, where OpenCL is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class OpenClCasesAttribute(string memberName) : BackendCases(memberName, "opencl");

/// <summary>Member data with the GPU kernel profile on OpenCL (PoCL); skipped where OpenCL is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class OpenClGpuCasesAttribute(string memberName) : BackendCases(memberName, "opencl+gpu");

/// <summary>Member data on ILGPU's three GPU simulators (see <see cref="SimulatorsAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class SimulatorCasesAttribute(string memberName) : BackendCases(memberName, TestDevices.Simulators);

/// <summary>
/// Member data on the NVIDIA-like simulator alone, "cpu:nvidia": for tests too slow to run on all
/// three (a fixture generation takes a simulator minutes); the kernel tests run all three.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class NvidiaSimulatorCasesAttribute(string memberName) : BackendCases(memberName, "cpu:nvidia");

/// <summary>
/// Member data on the CPU accelerator with tensor cores on, "cpu+tensor-cores": fp16 weights take
/// the tensor cores' arithmetic (activations rounded to fp16, float32 sums) on the CPU.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CpuTensorCoreCasesAttribute(string memberName) : BackendCases(memberName, "cpu" + TestDevices.TensorCores);

/// <summary>
/// Member data on the NVIDIA-like simulator with tensor cores on, "cpu:nvidia+tensor-cores": fp16
/// weights take the tensor-core GEMM with its mma emulated (<c>EmulatedMma</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class NvidiaSimulatorTensorCoreCasesAttribute(string memberName)
    : BackendCases(memberName, "cpu:nvidia" + TestDevices.TensorCores);
