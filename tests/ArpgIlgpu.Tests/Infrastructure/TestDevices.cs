using ArpgIlgpu.Runtime;
using Xunit;
using Xunit.Sdk;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace ArpgIlgpu.Tests;

/// <summary>
/// The devices tests run on, opened once per test run: ILGPU's CPU accelerator (always present)
/// and the first OpenCL device (PoCL in CI). Tests name a backend as a string so that xunit can
/// show it in the test name: "cpu" or "opencl".
/// </summary>
public static class TestDevices
{
    private static readonly Lazy<ComputeDevice> cpu = new(() => ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0)));
    private static readonly Lazy<ComputeDevice?> openCl = new(OpenFirstOpenCl);

    /// <summary>Why OpenCL tests are skipped here, or null when an OpenCL device is present.</summary>
    public static string? OpenClSkipReason => openCl.Value is null
        ? "needs an OpenCL device and none was found (CI installs PoCL: apt-get install pocl-opencl-icd ocl-icd-opencl-dev)"
        : null;

    /// <summary>The device for a backend name used in test data.</summary>
    public static ComputeDevice Get(string backend) => backend switch
    {
        "cpu" => cpu.Value,
        "opencl" => openCl.Value ?? throw new InvalidOperationException(OpenClSkipReason),
        _ => throw new ArgumentException($"unknown test backend '{backend}'"),
    };

    private static ComputeDevice? OpenFirstOpenCl()
    {
        try
        {
            return ComputeDevice.Open(new DeviceSpec(DeviceKind.OpenCL, 0));
        }
        catch (InvalidInputException)
        {
            return null;
        }
    }
}

/// <summary>
/// The CPU-accelerator case of a backend theory. <c>[Theory, Cpu, OpenCl]</c> runs a test once per
/// backend, passing "cpu" or "opencl"; where no OpenCL device exists, the OpenCL case is reported
/// as skipped, with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CpuAttribute : DataAttribute
{
    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [["cpu"]];
}

/// <summary>The OpenCL case of a backend theory; skipped, with the reason, where OpenCL is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OpenClAttribute : DataAttribute
{
    /// <summary>Sets the skip reason when no OpenCL device is present.</summary>
    public OpenClAttribute() => Skip = TestDevices.OpenClSkipReason!;

    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [["opencl"]];
}

/// <summary>
/// Member data run on the CPU accelerator: <c>[Theory, CpuCases(nameof(Shapes)), OpenClCases(nameof(Shapes))]</c>
/// passes "cpu" (or "opencl") followed by each row of the member.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CpuCasesAttribute(string memberName) : MemberDataAttributeBase(memberName, [])
{
    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) =>
        base.GetData(testMethod).Select(row => (object[])["cpu", .. row]);

    /// <inheritdoc />
    protected override object[] ConvertDataItem(System.Reflection.MethodInfo testMethod, object item) =>
        (object[])item;
}

/// <summary>Member data run on OpenCL; skipped, with the reason, where OpenCL is absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class OpenClCasesAttribute : MemberDataAttributeBase
{
    /// <summary>Names the member that yields the rows.</summary>
    public OpenClCasesAttribute(string memberName) : base(memberName, []) => Skip = TestDevices.OpenClSkipReason!;

    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) =>
        base.GetData(testMethod).Select(row => (object[])["opencl", .. row]);

    /// <inheritdoc />
    protected override object[] ConvertDataItem(System.Reflection.MethodInfo testMethod, object item) =>
        (object[])item;
}
