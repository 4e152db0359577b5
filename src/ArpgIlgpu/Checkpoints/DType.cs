namespace ArpgIlgpu.Checkpoints;

/// <summary>The element types a checkpoint tensor can be stored in.</summary>
public enum DType
{
    /// <summary>IEEE binary32.</summary>
    Float32,
    /// <summary>IEEE binary16 (half).</summary>
    Float16,
    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BFloat16,
    /// <summary>IEEE binary64.</summary>
    Float64,
    /// <summary>Signed 64-bit integer.</summary>
    Int64,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Signed 16-bit integer.</summary>
    Int16,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,
}

/// <summary>Sizes and names of <see cref="DType"/> values in the file formats we read and write.</summary>
public static class DTypes
{
    private static readonly (DType DType, string SafeTensors, string Torch)[] Table =
    [
        (DType.Float32, "F32", "float32"),
        (DType.Float16, "F16", "float16"),
        (DType.BFloat16, "BF16", "bfloat16"),
        (DType.Float64, "F64", "float64"),
        (DType.Int64, "I64", "int64"),
        (DType.Int32, "I32", "int32"),
        (DType.Int16, "I16", "int16"),
        (DType.Int8, "I8", "int8"),
        (DType.UInt8, "U8", "uint8"),
        (DType.Bool, "BOOL", "bool"),
    ];

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float64 or DType.Int64 => 8,
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 or DType.Int16 => 2,
        _ => 1,
    };

    /// <summary>True for the floating-point types (read with <see cref="StateDict.ReadFloat32(string)"/>).</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float32 or DType.Float16 or DType.BFloat16 or DType.Float64;

    /// <summary>The dtype's name in safetensors headers ("F32", "BF16", ...).</summary>
    public static string SafeTensorsName(this DType dtype) => Table[(int)dtype].SafeTensors;

    /// <summary>The dtype's name as PyTorch prints it ("float32", "bfloat16", ...).</summary>
    public static string TorchName(this DType dtype) => Table[(int)dtype].Torch;

    /// <summary>Parses a safetensors dtype name; false for names we do not read.</summary>
    public static bool TryParseSafeTensors(string name, out DType dtype)
    {
        foreach (var entry in Table)
            if (entry.SafeTensors == name)
            {
                dtype = entry.DType;
                return true;
            }
        dtype = default;
        return false;
    }
}
