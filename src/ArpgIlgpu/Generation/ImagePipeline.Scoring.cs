namespace ArpgIlgpu.Generation;

/// <summary>How well the pipeline's transformer knows given images: see <see cref="TeacherForcedScorer"/>.</summary>
public sealed partial class ImagePipeline
{
    /// <summary>
    /// The teacher-forced mean cross-entropy (nats per token) of each token grid (grid order)
    /// for its class, each read in its order (a permutation of the grid positions); with
    /// <paramref name="orders"/> null, image i is read in the random order of seed
    /// <paramref name="seed"/> + i.
    /// </summary>
    public ScoreResult Score(IReadOnlyList<int[]> tokens, IReadOnlyList<int> classes, IReadOnlyList<int[]>? orders = null,
        ulong seed = 0, CancellationToken cancel = default)
    {
        int length = Transformer.Config.BlockSize;
        orders ??= Enumerable.Range(0, tokens.Count).Select(i => RandomOrder.Draw(length, seed + (ulong)i)).ToArray();
        cancel.ThrowIfCancellationRequested();
        return TeacherForcedScorer.Score(Transformer, tokens, classes, orders);
    }
}
