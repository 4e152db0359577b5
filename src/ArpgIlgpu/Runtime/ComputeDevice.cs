using ArpgIlgpu.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// One accelerator and everything bound to it: the ILGPU context, the loaded kernels
/// (<see cref="Ops"/>) and the buffers allocated on it. Create one with <see cref="Open"/>.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    private readonly Context context;
    private Ops? ops;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceKind kind, bool hostCpu,
        GpuSimulator simulator, DeviceProfile profile)
    {
        this.context = context;
        Accelerator = accelerator;
        Kind = kind;
        IsHostCpu = hostCpu;
        Simulator = simulator;
        Profile = profile;
        Memory = MemoryBudget.ForDevice(accelerator.MemorySize, usesHostMemory: hostCpu);
    }

    /// <summary>
    /// Which variant of each op this device runs (the profile table, <see cref="DeviceProfile"/>),
    /// decided when it opened.
    /// </summary>
    public DeviceProfile Profile { get; }

    /// <summary>For ILGPU's CPU accelerator: the GPU it simulates, or none.</summary>
    public GpuSimulator Simulator { get; }

    /// <summary>
    /// True when kernels run on this machine's CPU cores: the CPU accelerator, or an OpenCL CPU
    /// device such as PoCL. Element-wise kernels then give each work item a run of consecutive
    /// elements, which CPU compilers vectorise (PoCL copies at ~20 GB/s with runs of 64 against
    /// ~5 GB/s with one element per work item, measured on the CI machines).
    /// </summary>
    public bool IsHostCpu { get; }

    /// <summary>The ILGPU accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The kind of backend: <see cref="DeviceKind.Cpu"/>, CUDA or OpenCL.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The device's name, as the driver reports it.</summary>
    public string Name => Accelerator.Name;

    /// <summary>Bytes of device memory now allocated through <see cref="DeviceMemory"/> (every <see cref="Tensor{T}"/>).</summary>
    public long AllocatedBytes => Memory.Used;

    /// <summary>What this device may still allocate (see <see cref="DeviceMemory"/>).</summary>
    internal MemoryBudget Memory { get; private set; }

    /// <summary>
    /// Makes the device behave as one with <paramref name="bytes"/> of memory (tests of the
    /// out-of-memory paths, without having to fill a real device). Only before the first allocation.
    /// </summary>
    internal void LimitMemory(long bytes)
    {
        if (Memory.Used != 0)
            throw new InvalidOperationException("the memory limit must be set before anything is allocated");
        Memory = MemoryBudget.Limited(Math.Min(bytes, Memory.Limit), IsHostCpu);
    }

    /// <summary>Every op of the kernel library, bound to this device.</summary>
    public Ops Ops => ops ??= new Ops(this);

    /// <summary>A one-line description: kind, name and memory.</summary>
    public string Description => (Kind, Simulator) switch
    {
        (DeviceKind.Cpu, GpuSimulator.None) =>
            $"cpu '{Name}' (ILGPU's CPU accelerator: host memory, slow; see `arpg devices` for faster ones)",
        (DeviceKind.Cpu, _) =>
            $"cpu:{GpuSimulators.Name(Simulator)} (ILGPU's CPU accelerator simulating a GPU: warps of {Accelerator.WarpSize}, very slow)",
        _ => $"{KindName(Kind)} '{Name}' ({FormatBytes(Accelerator.MemorySize)})",
    } + $", {Profile.Name.Name()} kernels" + (Profile.Gemm == Profile.TensorCoreGemm ? ", tensor cores on" : "");

    /// <summary>
    /// Opens the device a <see cref="DeviceSpec"/> names. <c>auto</c> picks CUDA, else an OpenCL
    /// GPU, else OpenCL on the CPU (PoCL: the fastest CPU path), else ILGPU's CPU accelerator.
    /// <paramref name="kernels"/> chooses the kernel profile (<see cref="KernelProfile.Auto"/>: by
    /// the device; see <see cref="DeviceProfile"/>). <paramref name="tensorCores"/> turns on the
    /// profile's tensor-core GEMM for fp16 weights (<see cref="DeviceProfile.WithTensorCores"/>; off
    /// by default, unverified on hardware).
    /// </summary>
    public static ComputeDevice Open(DeviceSpec spec, KernelProfile kernels = KernelProfile.Auto, bool tensorCores = false)
    {
        Context context = CreateContext(spec.Simulator);
        try
        {
            (Device device, DeviceKind kind) = Select(context, spec);
            if (kind == DeviceKind.OpenCL)
            {
                PoclCompatibility.NoteIfMarked(device.Name);
                PoclCompatibility.AllowReassociation();
            }
            bool hostCpu = kind == DeviceKind.Cpu
                           || device is CLDevice { DeviceType: CLDeviceType.CL_DEVICE_TYPE_CPU };
            DeviceProfile profile = DeviceProfile.For(kernels, kind, hostCpu, spec.Simulator);
            if (tensorCores)
                profile = profile.WithTensorCores(device, spec.Simulator);
            if (profile.Name == KernelProfile.Gpu && device.MaxNumThreadsPerGroup < DeviceProfile.Gpu.ImplicitGroupSize)
                throw new InvalidInputException(
                    $"device {spec}: the gpu kernel profile needs groups of {DeviceProfile.Gpu.ImplicitGroupSize} threads " +
                    $"and this device allows {device.MaxNumThreadsPerGroup}; on a CPU, open a GPU simulator " +
                    "(cpu:nvidia, cpu:amd or cpu:intel) or OpenCL (PoCL)");
            return new ComputeDevice(context, device.CreateAccelerator(context), kind, hostCpu, spec.Simulator, profile);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What the device list <c>all</c> means: every CUDA device, else every OpenCL GPU; empty when the
    /// machine has no GPU (ILGPU's CPU accelerator and PoCL are one device each, nothing to split).
    /// </summary>
    public static IReadOnlyList<DeviceSpec> AllGpus()
    {
        using Context context = CreateContext();
        int cuda = context.GetCudaDevices().Count;
        if (cuda > 0)
            return Enumerable.Range(0, cuda).Select(i => new DeviceSpec(DeviceKind.Cuda, i)).ToArray();
        var gpus = new List<DeviceSpec>();
        var cl = context.GetCLDevices();
        for (int i = 0; i < cl.Count; i++)
            if (cl[i].DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU)
                gpus.Add(new DeviceSpec(DeviceKind.OpenCL, i));
        return gpus;
    }

    /// <summary>Lists every accelerator ILGPU finds on this machine.</summary>
    public static IReadOnlyList<DeviceDescription> ListAll()
    {
        using Context context = CreateContext();
        var list = new List<DeviceDescription>();
        foreach (Device d in context)
        {
            DeviceKind kind = KindOf(d);
            int index = kind == DeviceKind.Cpu ? 0 : IndexWithinKind(context, d);
            list.Add(new DeviceDescription(
                kind == DeviceKind.Cpu ? "cpu" : $"{KindName(kind)}:{index}",
                kind, d.Name, d.MemorySize, d.MaxNumThreadsPerGroup, d.WarpSize,
                Float16Support(d)));
        }
        return list;
    }

    /// <summary>How a device does half-precision arithmetic: natively, or emulated in float32.</summary>
    private static string Float16Support(Device d) => d.Capabilities switch
    {
        CudaCapabilityContext => "native",
        CLCapabilityContext c => c.Float16 ? "native" : "no",
        _ => "emulated",
    };

    /// <summary>Waits until every kernel launched on this device has finished.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <inheritdoc />
    public void Dispose()
    {
        ops?.Dispose();
        Accelerator.Dispose();
        context.Dispose();
    }

    /// <summary>
    /// A context with every CUDA and OpenCL device and one CPU device: the plain CPU accelerator,
    /// or the GPU simulator <paramref name="simulator"/> names.
    /// </summary>
    private static Context CreateContext(GpuSimulator simulator = GpuSimulator.None)
    {
        CudaDriverResolver.Install();
        return Context.Create(builder => WithCompilerSettings(builder
            .Cuda()
            .OpenCL(device =>
            {
                PoclCompatibility.MarkGenericAddressSpaceCapable(device);
                return device.Capabilities.GenericAddressSpace;
            })
            // One simulated multiprocessor per core, 4 threads each: measured fastest for our
            // barrier-free kernels on the 2-core CI machines (the default is 1 x 16 threads).
            .CPU(simulator == GpuSimulator.None
                ? new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 1,
                    numMultiprocessors: Math.Max(1, Environment.ProcessorCount))
                : GpuSimulators.Device(simulator))));
    }

    /// <summary>
    /// The compiler settings of every context we create; the kernel-compilation tests use them
    /// too, so that what they compile is what the devices run.
    /// </summary>
    internal static Context.Builder WithCompilerSettings(Context.Builder builder) => builder
        // O2 infers concrete address spaces, which PoCL needs (see PoclCompatibility).
        .Optimize(OptimizationLevel.O2)
        // PTX has no exp/log instructions of full precision: ILGPU.Algorithms supplies them.
        .EnableAlgorithms()
        // a * b + c as one fused multiply-add on OpenCL (see MultiplyAdd).
        .EnableMultiplyAdd();

    private static (Device, DeviceKind) Select(Context context, DeviceSpec spec)
    {
        var cuda = context.GetCudaDevices();
        var cl = context.GetCLDevices();
        switch (spec.Kind)
        {
            case DeviceKind.Cpu:
                return (context.GetCPUDevice(0), DeviceKind.Cpu);
            case DeviceKind.Cuda:
                if (spec.Index >= cuda.Count)
                    throw new InvalidParameterException(DeviceSpec.Parameter, $"{spec}", $"{cuda.Count} CUDA device(s) found");
                return (cuda[spec.Index], DeviceKind.Cuda);
            case DeviceKind.OpenCL:
                if (spec.Index >= cl.Count)
                    throw new InvalidParameterException(DeviceSpec.Parameter, $"{spec}", $"{cl.Count} OpenCL device(s) found " +
                        "(on Debian, `apt-get install pocl-opencl-icd` adds the CPU as an OpenCL device)");
                return (cl[spec.Index], DeviceKind.OpenCL);
            default:
                if (cuda.Count > 0)
                    return (cuda[0], DeviceKind.Cuda);
                foreach (CLDevice d in cl)
                    if (d.DeviceType == CLDeviceType.CL_DEVICE_TYPE_GPU)
                        return (d, DeviceKind.OpenCL);
                if (cl.Count > 0)
                    return (cl[0], DeviceKind.OpenCL);
                return (context.GetCPUDevice(0), DeviceKind.Cpu);
        }
    }

    private static DeviceKind KindOf(Device d) => d.AcceleratorType switch
    {
        AcceleratorType.Cuda => DeviceKind.Cuda,
        AcceleratorType.OpenCL => DeviceKind.OpenCL,
        _ => DeviceKind.Cpu,
    };

    private static int IndexWithinKind(Context context, Device d) => d is CudaDevice
        ? IndexOf(context.GetCudaDevices(), d)
        : IndexOf(context.GetCLDevices(), d);

    private static int IndexOf<T>(Context.DeviceCollection<T> devices, Device d) where T : Device
    {
        for (int i = 0; i < devices.Count; i++)
            if (ReferenceEquals(devices[i], d))
                return i;
        return -1;
    }

    private static string KindName(DeviceKind kind) => kind switch
    {
        DeviceKind.Cuda => "cuda",
        DeviceKind.OpenCL => "opencl",
        _ => "cpu",
    };

    /// <summary>Formats a byte count with a binary unit (KiB, MiB, GiB).</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} B" : $"{v:F1} {units[u]}";
    }
}

/// <summary>What <c>arpg devices</c> prints for one accelerator.</summary>
/// <param name="Spec">The device name that selects it (<see cref="DeviceSpec.Parse"/>).</param>
/// <param name="Kind">Its backend.</param>
/// <param name="Name">The driver's name for it.</param>
/// <param name="MemoryBytes">Device memory (the CPU accelerator reports no limit).</param>
/// <param name="MaxGroupSize">Maximum threads per group.</param>
/// <param name="WarpSize">Threads per warp (SIMD width).</param>
/// <param name="Float16">Half-precision arithmetic: "native", "emulated" (CPU accelerator) or "no".</param>
public sealed record DeviceDescription(
    string Spec, DeviceKind Kind, string Name, long MemoryBytes, int MaxGroupSize, int WarpSize, string Float16);
