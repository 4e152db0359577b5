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
/// A parsed <c>--device</c> value: <c>auto</c>, <c>cpu</c>, <c>cuda[:i]</c> or <c>opencl[:i]</c>.
/// </summary>
/// <param name="Kind">The accelerator kind.</param>
/// <param name="Index">The index among devices of that kind (0 when not given).</param>
public readonly record struct DeviceSpec(DeviceKind Kind, int Index)
{
    /// <summary>The default: pick the fastest device present.</summary>
    public static DeviceSpec Auto => new(DeviceKind.Auto, 0);

    /// <summary>Parses a <c>--device</c> value; throws <see cref="InvalidInputException"/> naming it.</summary>
    public static DeviceSpec Parse(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        int colon = s.IndexOf(':');
        string kind = colon < 0 ? s : s[..colon];
        int index = 0;
        if (colon >= 0 && (!int.TryParse(s[(colon + 1)..], out index) || index < 0))
            throw new InvalidInputException($"--device '{text}': the index after ':' must be a non-negative integer");
        DeviceKind k = kind switch
        {
            "auto" => DeviceKind.Auto,
            "cpu" => DeviceKind.Cpu,
            "cuda" => DeviceKind.Cuda,
            "opencl" => DeviceKind.OpenCL,
            _ => throw new InvalidInputException(
                $"--device '{text}': expected auto, cpu, cuda[:i] or opencl[:i]"),
        };
        if (colon >= 0 && k is DeviceKind.Auto or DeviceKind.Cpu)
            throw new InvalidInputException($"--device '{text}': only cuda and opencl take an index");
        return new DeviceSpec(k, index);
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"opencl:{Index}",
    };
}
