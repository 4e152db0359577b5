using ArpgIlgpu.Kernels;
using ArpgIlgpu.Models;
using ILGPU.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>The result of teacher-forced scoring.</summary>
/// <param name="Logits">[images, L, vocab]: row t predicts the token at order[t] (the shuffled order).</param>
/// <param name="CrossEntropy">Mean cross-entropy per image, in nats.</param>
public sealed record ScoreResult(float[] Logits, double[] CrossEntropy);

/// <summary>
/// The training forward of ARPG: every image sees its tokens in its own order, pass 1 reads the
/// class token and the tokens at order[0 .. L-2] with causal attention, and pass-2 query t,
/// rotated to position order[t], sees keys 0..t, so row t predicts the token at order[t] from the
/// class and the t tokens before it. The mean cross-entropy scores how well the model knows an
/// image. Prefilling known tokens for editing runs exactly this pass 1.
/// </summary>
public static class TeacherForcedScorer
{
    /// <summary>
    /// Scores images. tokens: [images][L] in grid order; classes: [images]; orders: [images][L],
    /// each a permutation of the grid positions.
    /// </summary>
    public static ScoreResult Score(ArpgTransformer model, IReadOnlyList<int[]> tokens, IReadOnlyList<int> classes,
        IReadOnlyList<int[]> orders)
    {
        ArpgConfig c = model.Config;
        int images = tokens.Count, length = c.BlockSize, vocab = c.VocabSize;
        TokenChecks.RequireCanvas(c, tokens, "tokens");
        TokenChecks.RequireClasses(c, classes, "classes");
        if (classes.Count != images || orders.Count != images)
            throw new InvalidInputException($"{images} token rows, {classes.Count} classes and {orders.Count} orders: counts must match");
        foreach (int[] order in orders)
            GenerationOrders.RequirePermutation(order, length, "orders");

        // pass 1: the class token, then the tokens at order[0 .. L-2], causally (Prefill)
        // pass 2: query t, rotated to order[t], sees cache positions 0..t
        var querySlots = new int[images * length];
        for (int b = 0; b < images; b++)
            for (int t = 0; t < length; t++)
                querySlots[b * length + t] = 1 + orders[b][t];
        using DecodeState state = model.CreateState(images, length, length);
        Prefill.Append(model, state, classes.Select(c.ClassTokenId).ToArray(), tokens,
            orders.Select(o => o[..(length - 1)]).ToArray());
        state.SetQueries(length, querySlots);
        var logits = new float[(long)images * length * vocab];
        model.Predict(state, AttentionMask.Causal).CopyToCPU(logits);

        var loss = new double[images];
        for (int b = 0; b < images; b++)
        {
            double sum = 0;
            for (int t = 0; t < length; t++)
                sum += CrossEntropy(logits.AsSpan((b * length + t) * vocab, vocab), tokens[b][orders[b][t]]);
            loss[b] = sum / length;
        }
        return new ScoreResult(logits, loss);
    }

    /// <summary>-log softmax(logits)[target], computed stably in double precision.</summary>
    public static double CrossEntropy(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
            max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in logits)
            sum += Math.Exp(v - max);
        return Math.Log(sum) + max - logits[target];
    }
}
