namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// What a reader found in a checkpoint without reading any tensor data: the tensors in file order
/// (names as stored), where the state dict was, and the file's string metadata.
/// </summary>
internal sealed record CheckpointIndex(
    IReadOnlyList<StoredTensor> Tensors, string FoundAt, IReadOnlyDictionary<string, string> Metadata);
