using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// The kernel profile table: for each <see cref="KernelProfile"/>, which variant of each op runs.
/// It is decided once, when a device opens (<see cref="ComputeDevice.Profile"/>), and the op
/// wrappers in Kernels/ read it; nothing else in the library asks what kind of device it is on
/// to choose a kernel. docs/ARCHITECTURE.md shows this table (<see cref="Table"/>), and a test
/// keeps the two equal.
/// </summary>
public sealed record DeviceProfile
{
    /// <summary>The profile this row is.</summary>
    public required KernelProfile Name { get; init; }

    /// <summary>
    /// Work items per group of every implicitly grouped (barrier-free) kernel, capped by the
    /// device's maximum. PoCL runs a group on one core, and ILGPU's automatic choice there is
    /// PoCL's largest group, 4096, so every launch of fewer than 8192 items used one of two cores:
    /// at 16, ARPG-L batch 1 went from 13.2 to 6.7 s. ILGPU's CPU accelerator takes groups of one,
    /// its own choice (its threads of a group wait for each other after every item; groups of 4
    /// made its convolutions 2x slower). GPUs take 256.
    /// </summary>
    public required int ImplicitGroupSize { get; init; }

    /// <summary>How element-wise kernels split their items over threads (<see cref="Kernels.ThreadRuns"/>).</summary>
    public required ElementRuns Runs { get; init; }

    /// <summary>Matrix multiplication (every linear layer and the head).</summary>
    public required GemmVariant Gemm { get; init; }

    /// <summary>
    /// Matrix multiplication with fp16 weights when tensor cores are asked for
    /// (<see cref="ComputeDevice.Open"/>'s tensorCores): activations rounded to
    /// fp16 too, float32 sums. Off by default: it has not yet run on a GPU.
    /// </summary>
    public required GemmVariant TensorCoreGemm { get; init; }

    /// <summary>Attention over the KV caches (pass 1, pass 2, teacher-forced scoring).</summary>
    public required AttentionVariant Attention { get; init; }

    /// <summary>Row reductions: RMSNorm, the sampler's max / sum-exp / draw / argmax, top-k and top-p.</summary>
    public required RowVariant Rows { get; init; }

    /// <summary>The VQ's convolutions.</summary>
    public required Conv2dVariant Conv2d { get; init; }

    /// <summary>The VQ's GroupNorm (+ swish) normalisation pass.</summary>
    public required GroupNormVariant GroupNorm { get; init; }

    /// <summary>The VQ decoder's nearest 2x upsampling.</summary>
    public required ResampleVariant Resample { get; init; }

    /// <summary>ILGPU's CPU accelerator: everything barrier-free, long runs per simulated thread.</summary>
    public static DeviceProfile Cpu { get; } = new()
    {
        Name = KernelProfile.Cpu,
        ImplicitGroupSize = 1,
        Runs = ElementRuns.LongRuns,
        Gemm = GemmVariant.RowBlocked,
        TensorCoreGemm = GemmVariant.RowBlockedFp16Activations,
        Attention = AttentionVariant.ThreadPerQuery,
        Rows = RowVariant.ThreadPerRow,
        Conv2d = Conv2dVariant.Blocked,
        GroupNorm = GroupNormVariant.Planes,
        Resample = ResampleVariant.Planes,
    };

    /// <summary>OpenCL on this machine's CPU (PoCL): barrier-free loops that its compiler vectorises.</summary>
    public static DeviceProfile HostOpenCl { get; } = new()
    {
        Name = KernelProfile.HostOpenCl,
        ImplicitGroupSize = 16,
        Runs = ElementRuns.VectorRuns,
        Gemm = GemmVariant.RowBlocked,
        TensorCoreGemm = GemmVariant.RowBlockedFp16Activations,
        Attention = AttentionVariant.ThreadPerQuery,
        Rows = RowVariant.ThreadPerRow,
        Conv2d = Conv2dVariant.PlaneSweeps,
        GroupNorm = GroupNormVariant.Planes,
        Resample = ResampleVariant.PerElement,
    };

    /// <summary>GPUs (CUDA, OpenCL GPUs) and ILGPU's GPU simulators.</summary>
    public static DeviceProfile Gpu { get; } = new()
    {
        Name = KernelProfile.Gpu,
        ImplicitGroupSize = 256,
        Runs = ElementRuns.OnePerThread,
        Gemm = GemmVariant.GpuTiles,
        TensorCoreGemm = GemmVariant.TensorCores,
        Attention = AttentionVariant.FlashDecoding,
        Rows = RowVariant.GroupPerRow,
        Conv2d = Conv2dVariant.ImplicitGemm,
        GroupNorm = GroupNormVariant.GroupReduce,
        Resample = ResampleVariant.PerElement,
    };

    /// <summary>Every profile, in <see cref="KernelProfile"/> order after Auto.</summary>
    public static IReadOnlyList<DeviceProfile> All { get; } = [Cpu, HostOpenCl, Gpu];

    /// <summary>The row of a forced profile.</summary>
    public static DeviceProfile Of(KernelProfile name) => name switch
    {
        KernelProfile.Cpu => Cpu,
        KernelProfile.HostOpenCl => HostOpenCl,
        KernelProfile.Gpu => Gpu,
        _ => throw new ArgumentException("Auto is resolved by the device, not a row of the table", nameof(name)),
    };

    /// <summary>
    /// The profile <see cref="KernelProfile.Auto"/> gives a device: ILGPU's plain CPU accelerator
    /// takes Cpu, an OpenCL CPU device HostOpenCl, everything else (CUDA, OpenCL GPUs, ILGPU's GPU
    /// simulators) Gpu.
    /// </summary>
    public static DeviceProfile For(KernelProfile requested, DeviceKind kind, bool hostCpu, GpuSimulator simulator) =>
        requested != KernelProfile.Auto ? Of(requested)
        : simulator != GpuSimulator.None ? Gpu
        : kind == DeviceKind.Cpu ? Cpu
        : hostCpu ? HostOpenCl
        : Gpu;

    /// <summary>
    /// This row with <see cref="TensorCoreGemm"/> as its GEMM: what a device opened with tensor cores
    /// runs. The Gpu profile's tensor-core kernel is inline PTX, which ILGPU's OpenCL backend would
    /// drop without a word, so it is allowed only on CUDA devices of compute capability 8.0 or newer
    /// (mma.sync m16n8k16) and on the NVIDIA-like simulator (its emulation); the Cpu and HostOpenCl
    /// profiles compute the same arithmetic with their own kernels. Throws
    /// <see cref="InvalidInputException"/> for a GPU profile anywhere else.
    /// </summary>
    public DeviceProfile WithTensorCores(Device device, GpuSimulator simulator)
    {
        bool tensorCores = device is CudaDevice { Architecture: { } arch } && arch >= CudaArchitecture.SM_80;
        if (Name == KernelProfile.Gpu && !tensorCores && simulator != GpuSimulator.Nvidia)
            throw new InvalidInputException(
                $"device '{device.Name}': tensor cores need a CUDA GPU of compute capability 8.0 or newer " +
                "(or the cpu:nvidia simulator, which emulates them); with the gpu kernels elsewhere, leave them off");
        return this with { Gemm = TensorCoreGemm };
    }

    /// <summary>The table as rows of (op, variant per profile), as docs/ARCHITECTURE.md shows it.</summary>
    public static IReadOnlyList<(string Op, string[] Variants)> Table { get; } =
    [
        Row("implicit group size", p => p.ImplicitGroupSize),
        Row("element-wise runs", p => p.Runs),
        Row("GEMM", p => p.Gemm),
        Row("GEMM, tensor cores on", p => p.TensorCoreGemm),
        Row("attention", p => p.Attention),
        Row("row reductions", p => p.Rows),
        Row("conv2d", p => p.Conv2d),
        Row("group norm", p => p.GroupNorm),
        Row("upsample", p => p.Resample),
    ];

    /// <summary>One op's row of the table: its variant (or setting) in each profile.</summary>
    private static (string Op, string[] Variants) Row(string op, Func<DeviceProfile, object> variant) =>
        (op, All.Select(p => variant(p).ToString()!).ToArray());

    /// <summary>The table in Markdown, exactly as docs/ARCHITECTURE.md holds it.</summary>
    public static string MarkdownTable()
    {
        var lines = new List<string>
        {
            "| op | " + string.Join(" | ", All.Select(p => p.Name.Name())) + " |",
            "|---|" + string.Concat(All.Select(_ => "---|")),
        };
        lines.AddRange(Table.Select(r => $"| {r.Op} | {string.Join(" | ", r.Variants)} |"));
        return string.Join("\n", lines);
    }
}

/// <summary>How element-wise kernels split their items over threads.</summary>
public enum ElementRuns
{
    /// <summary>A few long runs per simulated thread: ILGPU's CPU accelerator pays microseconds per thread index.</summary>
    LongRuns,
    /// <summary>Runs of 64 consecutive items, which PoCL vectorises.</summary>
    VectorRuns,
    /// <summary>One item per thread, so neighbouring threads touch neighbouring addresses (coalesced).</summary>
    OnePerThread,
}

/// <summary>The GEMM kernels (Kernels/Gemm.cs).</summary>
public enum GemmVariant
{
    /// <summary>
    /// Barrier-free, one thread per 4 x 4 block of outputs; fp16 weights one thread per 4 rows of
    /// W, each weight converted once for every row of x (Kernels/GemmFp16.cs).
    /// </summary>
    RowBlocked,
    /// <summary>
    /// Register-blocked shared-memory tiles for M &gt;= 64 (128 x 128, or 64 x 64 with K split when
    /// fewer tiles than SMs), a GEMV-shaped kernel (a group per 8 rows of W) for smaller M.
    /// </summary>
    GpuTiles,
    /// <summary>
    /// fp16 weights: the tensor-core kernel (mma.sync m16n8k16, activations rounded to fp16, float32
    /// sums; Kernels/GemmTensorCores.cs) at every M on CUDA devices of compute capability 8.0 or
    /// newer (emulated on the NVIDIA-like simulator); fp32 weights as GpuTiles.
    /// </summary>
    TensorCores,
    /// <summary>
    /// fp16 weights: RowBlocked on activations rounded to fp16, the tensor cores' arithmetic on a
    /// CPU (its reference); fp32 weights as RowBlocked.
    /// </summary>
    RowBlockedFp16Activations,
}

/// <summary>The attention kernels (Kernels/Attention.cs).</summary>
public enum AttentionVariant
{
    /// <summary>One thread per (row, query, head), the output row as accumulator.</summary>
    ThreadPerQuery,
    /// <summary>
    /// A group per (row, head, tile of queries): key/value tiles in shared memory, scores and
    /// accumulators in registers (head sizes that are multiples of 4 up to 128; others as ThreadPerQuery).
    /// </summary>
    FlashDecoding,
}

/// <summary>The row-reduction kernels: RMSNorm, sampling, logit filters.</summary>
public enum RowVariant
{
    /// <summary>One thread per row, scanning it sequentially.</summary>
    ThreadPerRow,
    /// <summary>One group of 256 threads per row, meeting in shared memory (<see cref="Kernels.RowGroup"/>).</summary>
    GroupPerRow,
}

/// <summary>The convolution kernels (Kernels/Conv2d.cs).</summary>
public enum Conv2dVariant
{
    /// <summary>
    /// 3x3 "same" convolutions by Winograd's F(4x4, 3x3), 36 register-blocked GEMMs between an
    /// input and an output transform (Conv2dWinograd.cs); the others by register blocks of
    /// channels x columns per work item.
    /// </summary>
    Blocked,
    /// <summary>As <see cref="Blocked"/>, with 1x1 convolutions by work items that sweep whole planes, vectorised by PoCL.</summary>
    PlaneSweeps,
    /// <summary>An implicit GEMM with 64 x 64 shared-memory tiles, groups of 256 threads (GPUs).</summary>
    ImplicitGemm,
}

/// <summary>How GroupNorm (Kernels/GroupNorm.cs) computes its statistics and runs its normalisation pass.</summary>
public enum GroupNormVariant
{
    /// <summary>Barrier-free chunked statistics; one work item per run of whole planes.</summary>
    Planes,
    /// <summary>Barrier-free chunked statistics; one work item per element.</summary>
    PerElement,
    /// <summary>Statistics by a group of 256 threads per (image, group), reduced in shared memory; one work item per element.</summary>
    GroupReduce,
}

/// <summary>The upsampling kernels (Kernels/Resample.cs).</summary>
public enum ResampleVariant
{
    /// <summary>One work item per run of whole planes.</summary>
    Planes,
    /// <summary>One work item per output element.</summary>
    PerElement,
}
