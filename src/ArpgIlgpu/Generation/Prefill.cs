using ArpgIlgpu.Kernels;
using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>
/// Pre-filling known tokens: each row's class token (RoPE slot 0) and then its known tokens, in a
/// given order, go through pass 1 with causal attention, exactly as the training forward sees
/// a sequence; their keys and values fill every cache. This is how ARPG completes images it was
/// never trained to complete (the paper: "known regions are pre-filled in pass 1"), and it is
/// the pass 1 of teacher-forced scoring.
/// </summary>
public static class Prefill
{
    /// <summary>
    /// Appends, for every row r of the state: <paramref name="rowTokenIds"/>[r] (its class or
    /// "no class" token id) followed by the tokens at <paramref name="positions"/> taken from
    /// <paramref name="rowCanvases"/>[r] (a canvas of L token ids in grid order).
    /// <paramref name="positions"/> has one entry shared by all rows, or one per row.
    /// </summary>
    public static void Append(ArpgTransformer model, DecodeState state, IReadOnlyList<int> rowTokenIds,
        IReadOnlyList<int[]> rowCanvases, IReadOnlyList<int[]> positions)
    {
        int rows = state.Rows;
        if (rowTokenIds.Count != rows || rowCanvases.Count != rows || (positions.Count != 1 && positions.Count != rows))
            throw new ArgumentException($"prefill of {rows} rows: {rowTokenIds.Count} class tokens, {rowCanvases.Count} canvases, {positions.Count} position lists");
        int known = positions[0].Length, n = 1 + known;
        var ids = new int[rows * n];
        var slots = new int[positions.Count * n];
        for (int r = 0; r < rows; r++)
        {
            int[] rowPositions = positions[positions.Count == 1 ? 0 : r];
            if (rowPositions.Length != known)
                throw new ArgumentException($"prefill: row {r} has {rowPositions.Length} known positions, row 0 has {known}");
            ids[r * n] = rowTokenIds[r];
            for (int t = 0; t < known; t++)
                ids[r * n + 1 + t] = rowCanvases[r][rowPositions[t]];
        }
        for (int p = 0; p < positions.Count; p++)
            for (int t = 0; t < known; t++)
                slots[p * n + 1 + t] = 1 + positions[p][t]; // slot 0 (the class token) is already zero
        state.SetInputs(ids, slots);
        model.Append(state, AttentionMask.Causal);
    }
}
