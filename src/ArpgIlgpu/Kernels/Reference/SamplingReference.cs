namespace ArpgIlgpu.Kernels.Reference;

/// <summary>
/// Plain scalar versions of the official sampling code (models/arpg.py: generate() and
/// top_k_top_p_filtering), in double precision, one row [V] at a time: the references the
/// sampling kernels (Sampling.cs, LogitFilters.cs) are checked against. Written from the PyTorch
/// code, not from the kernels.
/// </summary>
public static class SamplingReference
{
    /// <summary>uncond + (cond - uncond) * scale, divided by the temperature.</summary>
    public static double Guide(float cond, float uncond, float scale, float temperature) =>
        (uncond + ((double)cond - uncond) * scale) / temperature;

    /// <summary>The index of the largest logit, the lowest among equal maxima (torch.argmax on the CPU).</summary>
    public static int Argmax(float[] logits)
    {
        int best = 0;
        for (int j = 1; j < logits.Length; j++)
            if (logits[j] > logits[best])
                best = j;
        return best;
    }

    /// <summary>
    /// Which logits top_k_top_p_filtering keeps (the others it sets to -inf). top-k: k =
    /// min(max(k, 1), V); remove x &lt; (k-th largest, counted with multiplicity). top-p on what is
    /// left: sort descending, stably (equal logits: lower index first: the order this port
    /// documents, as torch.sort's order among equal values is unspecified), cumsum of the softmax,
    /// remove sorted position j &gt;= 1 when cumsum[j - 1] &gt; p (torch's cumsum &gt; top_p, shifted
    /// right by one).
    /// </summary>
    public static bool[] Kept(float[] logits, int topK, float topP)
    {
        int n = logits.Length;
        var keep = Enumerable.Repeat(true, n).ToArray();
        if (topK > 0)
        {
            int k = Math.Min(Math.Max(topK, 1), n);
            float kth = logits.OrderByDescending(x => x).ElementAt(k - 1);
            for (int j = 0; j < n; j++)
                keep[j] = !(logits[j] < kth);
        }
        if (topP < 1f)
        {
            double[] cumulative = SortedCumulative(logits, keep, out int[] order);
            for (int s = 1; s < n; s++)
                if (cumulative[s - 1] > topP)
                    keep[order[s]] = false;
        }
        return keep;
    }

    /// <summary>
    /// The distance between top-p and the nearest cumulative probability of the sorted, top-k
    /// filtered row: a case closer than float32 rounding is decided by rounding, not by the rule,
    /// so random tests require a margin.
    /// </summary>
    public static double TopPMargin(float[] logits, int topK, float topP)
    {
        bool[] afterTopK = Kept(logits, topK, 1f);
        double[] cumulative = SortedCumulative(logits, afterTopK, out _);
        return cumulative.Min(c => Math.Abs(c - topP));
    }

    /// <summary>softmax over the kept logits (removed ones have probability 0).</summary>
    public static double[] Softmax(float[] logits, bool[] keep)
    {
        double max = logits.Where((_, j) => keep[j]).Max();
        double[] e = logits.Select((x, j) => keep[j] ? Math.Exp(x - max) : 0.0).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>Inverse-CDF draw: the first index whose cumulative probability exceeds u.</summary>
    public static int Draw(double[] probabilities, double u) => Draw(probabilities, u, out _);

    /// <summary>
    /// As <see cref="Draw(double[], double)"/>, also returning how far u lies from the nearest
    /// boundary of the cumulative distribution (a draw closer than float32 rounding is ambiguous).
    /// </summary>
    public static int Draw(double[] probabilities, double u, out double margin)
    {
        double cumulative = 0;
        margin = double.PositiveInfinity;
        int chosen = -1;
        for (int j = 0; j < probabilities.Length; j++)
        {
            if (probabilities[j] == 0)
                continue;
            cumulative += probabilities[j];
            margin = Math.Min(margin, Math.Abs(cumulative - u));
            if (chosen < 0 && cumulative > u)
                chosen = j;
        }
        return chosen;
    }

    /// <summary>Cumulative softmax of the kept logits in stable descending order; order[s] is the index at rank s.</summary>
    private static double[] SortedCumulative(float[] logits, bool[] keep, out int[] order)
    {
        double[] p = Softmax(logits, keep);
        // Removed logits are -inf in the official code: they sort last.
        order = Enumerable.Range(0, logits.Length)
            .OrderByDescending(j => keep[j] ? logits[j] : float.NegativeInfinity).ThenBy(j => j).ToArray();
        var cumulative = new double[logits.Length];
        double sum = 0;
        for (int s = 0; s < order.Length; s++)
            cumulative[s] = sum += p[order[s]];
        return cumulative;
    }
}
