namespace ArpgIlgpu.Runtime;

/// <summary>Which kind of accelerator a <see cref="DeviceSpec"/> asks for.</summary>
public enum DeviceKind
{
    /// <summary>The fastest present: CUDA, else an OpenCL GPU, else OpenCL on the CPU, else the CPU accelerator.</summary>
    Auto,
    /// <summary>ILGPU's CPU accelerator: always present, slow, the reference backend.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
    /// <summary>An OpenCL device: AMD or Intel GPUs, or a CPU through PoCL.</summary>
    OpenCL,
}

/// <summary>
/// A parsed device name: <c>auto</c>, <c>cpu</c>, <c>cpu:nvidia|amd|intel</c> (ILGPU's GPU
/// simulators, see <see cref="GpuSimulator"/>), <c>cuda[:i]</c> or <c>opencl[:i]</c>
/// (<see cref="ParseList"/> reads a comma-separated list of them).
/// </summary>
/// <param name="Kind">The accelerator kind.</param>
/// <param name="Index">The index among devices of that kind (0 when not given).</param>
/// <param name="Simulator">For <see cref="DeviceKind.Cpu"/>: the GPU it simulates, or none.</param>
public readonly record struct DeviceSpec(DeviceKind Kind, int Index, GpuSimulator Simulator = GpuSimulator.None)
{
    /// <summary>The default: pick the fastest device present.</summary>
    public static DeviceSpec Auto => new(DeviceKind.Auto, 0);

    /// <summary>The parameter <see cref="InvalidParameterException"/>s about device names name.</summary>
    public const string Parameter = "device";

    /// <summary>Parses a device name; throws <see cref="InvalidParameterException"/> naming it.</summary>
    public static DeviceSpec Parse(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        int colon = s.IndexOf(':');
        string kind = colon < 0 ? s : s[..colon];
        if (kind == "cpu" && colon >= 0)
            return new DeviceSpec(DeviceKind.Cpu, 0, ParseSimulator(text, s[(colon + 1)..]));
        int index = 0;
        if (colon >= 0 && (!int.TryParse(s[(colon + 1)..], out index) || index < 0))
            throw new InvalidParameterException(Parameter, $"'{text}'", "the index after ':' must be a non-negative integer");
        DeviceKind k = kind switch
        {
            "auto" => DeviceKind.Auto,
            "cpu" => DeviceKind.Cpu,
            "cuda" => DeviceKind.Cuda,
            "opencl" => DeviceKind.OpenCL,
            _ => throw new InvalidParameterException(Parameter, $"'{text}'",
                "expected auto, cpu, cpu:nvidia, cpu:amd, cpu:intel, cuda[:i] or opencl[:i]"),
        };
        if (colon >= 0 && k == DeviceKind.Auto)
            throw new InvalidParameterException(Parameter, $"'{text}'", "only cuda and opencl take an index");
        return new DeviceSpec(k, index);
    }

    private static GpuSimulator ParseSimulator(string text, string name) => name switch
    {
        "nvidia" => GpuSimulator.Nvidia,
        "amd" => GpuSimulator.Amd,
        "intel" => GpuSimulator.Intel,
        _ => throw new InvalidParameterException(Parameter, $"'{text}'", "after cpu: name a GPU simulator (nvidia, amd or intel)"),
    };

    /// <summary>
    /// Parses a comma-separated list of device names, e.g. <c>cuda:0,cuda:1</c> or <c>cpu,opencl:0</c>:
    /// several devices share each batch (<see cref="Generation.DeviceSplit"/>). A single spec gives
    /// a list of one; <c>all</c> is left to <see cref="ComputeDevice.AllGpus"/> and refused here.
    /// </summary>
    public static IReadOnlyList<DeviceSpec> ParseList(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
            throw new InvalidParameterException(Parameter, $"'{text}'", "an empty entry in the list");
        if (parts.Length > 1 && parts.Any(p => p.Equals("auto", StringComparison.OrdinalIgnoreCase)))
            throw new InvalidParameterException(Parameter, $"'{text}'", "auto picks one device; name the devices of a list");
        return parts.Select(Parse).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => Simulator == GpuSimulator.None ? "cpu" : $"cpu:{GpuSimulators.Name(Simulator)}",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"opencl:{Index}",
    };
}
