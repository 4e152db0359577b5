using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Writes safetensors files: an 8-byte little-endian header length, a JSON header padded with spaces
/// to a multiple of 8 bytes (so every tensor starts 8-byte aligned when offsets are), then the tensor
/// bytes in order. Atomic: the file is written under a temporary name in the same folder and renamed
/// over the target only when complete, so a failure leaves neither a partial file nor the temporary.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> in order; <paramref name="bytesOf"/> is asked for each tensor's
    /// bytes (row-major, little-endian, exactly <see cref="TensorInfo.ByteCount"/> long) only when it is
    /// written, so a large checkpoint converts one tensor at a time.
    /// </summary>
    public static void Write(string path, IReadOnlyList<TensorInfo> tensors, Func<TensorInfo, ReadOnlyMemory<byte>> bytesOf,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] header = Header(tensors, metadata);
        AtomicFile.RequireWritable(path);
        string fullPath = System.IO.Path.GetFullPath(path);
        string temp = AtomicFile.TemporaryPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (TensorInfo info in tensors)
                {
                    ReadOnlyMemory<byte> bytes = bytesOf(info);
                    if (bytes.Length != info.ByteCount)
                        throw new ArgumentException($"tensor '{info.Name}' has {bytes.Length} bytes, its shape needs {info.ByteCount}");
                    stream.Write(bytes.Span);
                }
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch (Exception e)
        {
            if (File.Exists(temp)) // File.Delete throws when the folder itself is missing
                File.Delete(temp);
            if (e is IOException or UnauthorizedAccessException)
                throw OutputWriteFailure.For(path, e);
            throw;
        }
    }

    /// <summary>Writes tensors whose bytes are already in memory.</summary>
    public static void Write(string path, IReadOnlyList<(TensorInfo Info, byte[] Bytes)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var bytes = tensors.ToDictionary(t => t.Info.Name, t => t.Bytes, StringComparer.Ordinal);
        Write(path, tensors.Select(t => t.Info).ToList(), info => bytes[info.Name], metadata);
    }

    private static byte[] Header(IReadOnlyList<TensorInfo> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        // relaxed escaping keeps names readable in the header; the output is still plain JSON
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            var names = new HashSet<string>(StringComparer.Ordinal) { "__metadata__" };
            long offset = 0;
            foreach (TensorInfo info in tensors)
            {
                if (!names.Add(info.Name))
                    throw new ArgumentException($"tensor name '{info.Name}' is used twice or reserved");
                writer.WriteStartObject(info.Name);
                writer.WriteString("dtype", info.DType.SafeTensorsName());
                writer.WriteStartArray("shape");
                foreach (int dim in info.Shape)
                    writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset += info.ByteCount);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int padded = (int)((json.Length + 7) / 8 * 8);
        while (json.Length < padded)
            json.WriteByte((byte)' ');
        return json.ToArray();
    }
}
