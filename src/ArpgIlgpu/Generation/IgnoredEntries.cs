namespace ArpgIlgpu.Generation;

/// <summary>
/// Entries of a checkpoint that the model did not use: skipped, as PyTorch's
/// <c>load_state_dict(strict=False)</c> skips them (an EMA copy, optimizer state, ...).
/// </summary>
/// <param name="Checkpoint">The checkpoint file.</param>
/// <param name="Names">The entries skipped.</param>
public sealed record IgnoredEntries(string Checkpoint, IReadOnlyList<string> Names);
