namespace ArpgIlgpu.Generation;

/// <summary>How well the pipeline's transformer knows given images: see <see cref="TeacherForcedScorer"/>.</summary>
public sealed partial class ImagePipeline
{
    /// <summary>
    /// The teacher-forced mean cross-entropy (nats per token) of each token grid (grid order)
    /// for its class, each read in its order (a permutation of the grid positions); with
    /// <paramref name="orders"/> null, image i is read in the random order of seed
    /// <paramref name="seed"/> + i (<see cref="RandomOrder.PerImage"/>).
    /// </summary>
    public ScoreResult Score(IReadOnlyList<int[]> tokens, IReadOnlyList<int> classes, IReadOnlyList<int[]>? orders = null,
        ulong seed = 0, CancellationToken cancel = default)
    {
        orders ??= RandomOrder.PerImage(Transformer.Config.BlockSize, tokens.Count, seed);
        cancel.ThrowIfCancellationRequested();
        return TeacherForcedScorer.Score(Transformer, tokens, classes, orders);
    }
}
