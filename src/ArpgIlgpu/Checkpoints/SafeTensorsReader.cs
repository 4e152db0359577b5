using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Reads the index of a safetensors file: an 8-byte little-endian header length, a JSON header
/// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
/// then the data section the offsets are relative to. The header is validated completely (known
/// dtypes, shape x element size = end - begin, offsets inside the data, no two tensors overlapping)
/// so that reading a tensor later cannot go wrong.
/// </summary>
internal static class SafeTensorsReader
{
    /// <summary>Headers above this size are refused (the reference implementation's limit is 100 MB too).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>True when the first bytes look like a safetensors file: a header length, then '{'.</summary>
    public static bool Recognizes(ReadOnlySpan<byte> start) => start.Length >= 9 && start[8] == (byte)'{';

    /// <summary>Validates the header of the safetensors file in <paramref name="source"/> and indexes its tensors.</summary>
    public static CheckpointIndex Read(ByteSource source)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(source.Read(0, 8, "safetensors header length"));
        if (headerLength > (ulong)(source.Length - 8))
            throw source.Error($"safetensors header claims {headerLength} bytes but only {source.Length - 8} follow: truncated or corrupt");
        if (headerLength > MaxHeaderBytes)
            throw source.Error($"safetensors header is {headerLength} bytes (at most {MaxHeaderBytes} are read)");
        ReadOnlySpan<byte> header = source.Read(8, (long)headerLength, "safetensors header");
        long dataStart = 8 + (long)headerLength, dataLength = source.Length - dataStart;
        if (!Utf8.IsValid(header))
            throw source.Error("safetensors header is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw source.Error($"safetensors header is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw source.Error("safetensors header is not a JSON object");
            var tensors = new List<StoredTensor>();
            var ranges = new List<(long Begin, long End, string Name)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            Dictionary<string, string> metadata = [];
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw source.Error($"safetensors header lists '{property.Name}' twice");
                if (property.Name == MetadataKey)
                {
                    metadata = ReadMetadata(source, property.Value);
                    continue;
                }
                var (info, begin, end) = ReadEntry(source, property.Name, property.Value, dataLength);
                tensors.Add(StoredTensor.Contiguous(info, dataStart + begin));
                if (end > begin)
                    ranges.Add((begin, end, info.Name));
            }
            RefuseOverlaps(source, ranges);
            return new CheckpointIndex(tensors, "safetensors", "top level", metadata);
        }
    }

    private static (TensorInfo Info, long Begin, long End) ReadEntry(ByteSource source, string name, JsonElement entry, long dataLength)
    {
        string Where(string what) => $"safetensors tensor '{name}': {what}";
        if (entry.ValueKind != JsonValueKind.Object)
            throw source.Error(Where("entry is not a JSON object"));
        if (!entry.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw source.Error(Where("no \"dtype\" string"));
        string dtypeName = dtypeElement.GetString()!;
        if (!DTypes.TryParseSafeTensors(dtypeName, out DType dtype))
            throw source.Error(Where($"unsupported dtype \"{dtypeName}\""));
        if (!entry.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array ||
            shapeElement.GetArrayLength() > TorchPickleRules.MaxDimensions)
            throw source.Error(Where($"\"shape\" is not an array of at most {TorchPickleRules.MaxDimensions} sizes"));
        var shape = new int[shapeElement.GetArrayLength()];
        long elements = 1;
        int d = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out shape[d]) || shape[d] < 0)
                throw source.Error(Where($"shape entry {d} is not a size"));
            elements = shape[d] == 0 || elements <= long.MaxValue / 8 / shape[d]
                ? elements * shape[d]
                : throw source.Error(Where("shape is too large"));
            d++;
        }
        if (!entry.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array ||
            offsets.GetArrayLength() != 2 ||
            offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number ||
            !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw source.Error(Where("\"data_offsets\" is not [begin, end] with 0 <= begin <= end"));
        if (end > dataLength)
            throw source.Error(Where($"data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes): truncated or corrupt"));
        var info = new TensorInfo(name, dtype, shape);
        if (end - begin != elements * dtype.SizeOf())
            throw source.Error(Where($"shape {TensorInfo.FormatShape(shape)} of {dtypeName} needs {elements * dtype.SizeOf()} bytes " +
                                     $"but data_offsets [{begin}, {end}] hold {end - begin}"));
        return (info, begin, end);
    }

    private static Dictionary<string, string> ReadMetadata(ByteSource source, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw source.Error("safetensors __metadata__ is not a JSON object");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty item in element.EnumerateObject())
            metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString()!
                : throw source.Error($"safetensors __metadata__ value of '{item.Name}' is not a string");
        return metadata;
    }

    private static void RefuseOverlaps(ByteSource source, List<(long Begin, long End, string Name)> ranges)
    {
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < ranges.Count; i++)
            if (ranges[i].Begin < ranges[i - 1].End)
                throw source.Error($"safetensors tensors '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap");
    }
}
