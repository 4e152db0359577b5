namespace ArpgIlgpu.Runtime;

/// <summary>
/// A q8_0 weight matrix on the device (<see cref="Q8Matrix"/> is its host form): <see cref="Values"/>
/// int8 [N, K] row-major and <see cref="Scales"/> float32 [N, ceil(K / 32)], w[n, k] = q[n, k] * scale[n, k / 32].
/// </summary>
public sealed class Q8Tensor : IDisposable
{
    private Q8Tensor(Tensor<sbyte> values, Tensor<float> scales)
    {
        Values = values;
        Scales = scales;
    }

    /// <summary>The int8 values [N, K].</summary>
    public Tensor<sbyte> Values { get; }

    /// <summary>The scales [N, ceil(K / 32)].</summary>
    public Tensor<float> Scales { get; }

    /// <summary>Rows (N).</summary>
    public int Rows => Values.Shape[0];

    /// <summary>Columns (K).</summary>
    public int Columns => Values.Shape[1];

    /// <summary>Bytes on the device: values and scales.</summary>
    public long Bytes => Values.Bytes + Scales.Bytes;

    /// <summary>Uploads a host q8_0 matrix.</summary>
    public static Q8Tensor Upload(ComputeDevice device, Q8Matrix matrix)
    {
        var values = Tensor<sbyte>.FromArray(device, matrix.Values, matrix.Rows, matrix.Columns);
        try
        {
            return new Q8Tensor(values, Tensor<float>.FromArray(device, matrix.Scales, matrix.Rows, matrix.Blocks));
        }
        catch
        {
            values.Dispose();
            throw;
        }
    }

    /// <summary>Copies the matrix back to the host.</summary>
    public Q8Matrix Download() => new(Rows, Columns, Values.ToArray(), Scales.ToArray());

    /// <inheritdoc />
    public void Dispose()
    {
        Values.Dispose();
        Scales.Dispose();
    }
}
