namespace ArpgIlgpu.Checkpoints;

/// <summary>What a checkpoint says about one tensor: its name, element type and shape (row-major).</summary>
public sealed record TensorInfo(string Name, DType DType, int[] Shape)
{
    /// <summary>The number of elements: the product of the shape (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int dim in Shape)
                count *= dim;
            return count;
        }
    }

    /// <summary>The number of bytes the elements take in <see cref="DType"/>.</summary>
    public long ByteCount => ElementCount * DType.SizeOf();

    /// <summary>A shape as the messages print it: [64, 64].</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => $"[{string.Join(", ", shape)}]";
}
