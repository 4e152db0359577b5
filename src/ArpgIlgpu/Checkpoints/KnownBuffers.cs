namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// Entries a checkpoint may hold that are not weights: state a PyTorch module kept as a buffer and
/// torch.save wrote with the parameters (rotary tables, attention masks, KV caches). They are
/// recomputed at run time here, so a loader skips them without a word; any other entry the model
/// does not use is skipped too (as <c>load_state_dict(strict=False)</c> does) but named in a warning.
/// </summary>
public static class KnownBuffers
{
    // The last component of the name: "freqs_cis", "layers.causal_mask", "layers.self_dec.3.attn.k_cache".
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "freqs_cis", "causal_mask", "attn_mask", "mask", "k_cache", "v_cache", "kv_cache",
    };

    /// <summary>True when <paramref name="name"/> is one of the buffers above (at any depth).</summary>
    public static bool Contains(string name) => Names.Contains(name[(name.LastIndexOf('.') + 1)..]);
}
