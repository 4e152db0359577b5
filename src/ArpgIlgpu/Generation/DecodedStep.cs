namespace ArpgIlgpu.Generation;

/// <summary>
/// One step of <see cref="ParallelDecoder"/> as it happened: the positions it filled (the same
/// for every image of the run: the order is shared), each image's tokens there and, when asked
/// for, the probability the sampler gave each of them.
/// </summary>
/// <param name="Step">The step, from 0.</param>
/// <param name="Steps">Steps in the run.</param>
/// <param name="ImageIndices">[images]: each image's index in the request (its random stream).</param>
/// <param name="Positions">[m]: the grid positions filled at this step, in the order's order.</param>
/// <param name="Tokens">[images][m]: the tokens chosen there.</param>
/// <param name="Probabilities">[images][m], or null when the observer did not ask: each chosen token's probability after guidance, temperature and the filters.</param>
/// <param name="GuidanceScale">The classifier-free guidance scale of this step.</param>
/// <param name="MaskRatio">The schedule's masked fraction after this step (the official mask_ratio).</param>
/// <param name="TokensDone">Positions generated so far, this step's included.</param>
/// <param name="TokensToGenerate">Positions the run generates (the grid, less any known tokens).</param>
public sealed record DecodedStep(int Step, int Steps, int[] ImageIndices, int[] Positions, int[][] Tokens,
    float[][]? Probabilities, float GuidanceScale, double MaskRatio, int TokensDone, int TokensToGenerate);

/// <summary>
/// Watches a decoding run step by step (<see cref="ParallelDecoder.Observer"/>). Observing costs
/// a copy of each step's tokens to the host and a device synchronisation; with
/// <paramref name="Probabilities"/>, also one pass over each step's logits.
/// </summary>
/// <param name="OnStep">Called after every step, on the thread that runs the decoder.</param>
/// <param name="Probabilities">Whether to compute each chosen token's probability.</param>
public sealed record StepObserver(Action<DecodedStep> OnStep, bool Probabilities = false);
