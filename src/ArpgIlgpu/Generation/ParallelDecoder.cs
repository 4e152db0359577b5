using ArpgIlgpu.Kernels;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Generation;

/// <summary>The phase names <see cref="ParallelDecoder"/> reports to a <see cref="PhaseClock"/>.</summary>
public static class Phases
{
    /// <summary>Self-attention layers and the shared key/value projection.</summary>
    public const string Pass1 = "pass 1";
    /// <summary>Cross-attention layers over the shared cache.</summary>
    public const string Pass2 = "pass 2";
    /// <summary>Final norm and the vocabulary projection.</summary>
    public const string Head = "head";
    /// <summary>Guidance, filtering and drawing the tokens (and copying them to the host).</summary>
    public const string Sampling = "sampling";
    /// <summary>VQ decoding of the token grids to pixels.</summary>
    public const string VqDecode = "vq decode";
}

/// <summary>Where a generation run is: reported after every step.</summary>
/// <param name="Step">Steps finished.</param>
/// <param name="Steps">Steps in the run.</param>
/// <param name="TokensDone">Tokens generated per image so far.</param>
/// <param name="Tokens">Tokens per image.</param>
public readonly record struct DecodeProgress(int Step, int Steps, int TokensDone, int Tokens);

/// <summary>
/// ARPG's randomized parallel decoding (the official <c>generate()</c>): prefill the class token,
/// then per step ask pass 2 for the next group of positions of the order, guide, sample, and feed
/// the sampled tokens back through pass 1 so the next step sees them. Classifier-free guidance
/// runs the batch twice: rows 0..B-1 conditional, B..2B-1 with the "no class" token; both halves
/// see the same sampled tokens.
/// </summary>
public sealed class ParallelDecoder
{
    private readonly ArpgTransformer model;

    /// <summary>A decoder over a loaded model.</summary>
    public ParallelDecoder(ArpgTransformer model) => this.model = model;

    /// <summary>Device memory of the last run's caches and activations (bytes), for memory accounting.</summary>
    public (long KvCacheBytes, long ActivationBytes) LastRunMemory { get; private set; }

    /// <summary>When set, times the phases of every step (pass 1, pass 2, head, sampling); see <c>arpg bench</c>.</summary>
    public PhaseClock? Clock { get; init; }

    /// <summary>
    /// Generates one image per class. Returns tokens [images][L] in grid (raster) order.
    /// <paramref name="imageIndices"/> names each image in the random streams (default 0..B-1):
    /// an image's tokens depend only on the seed, its index and the settings, never on the batch.
    /// </summary>
    public int[][] Generate(IReadOnlyList<int> classes, GenerationOptions options,
        IReadOnlyList<int>? imageIndices = null, IProgress<DecodeProgress>? progress = null,
        CancellationToken cancel = default) =>
        Complete(classes, null, null, options, imageIndices, progress, cancel);

    /// <summary>
    /// Allocates everything <see cref="Generate"/> would for <paramref name="images"/> images
    /// (caches, activations, sampler buffers), records the sizes in <see cref="LastRunMemory"/> and
    /// frees them again without running a step: a large batch's memory, measured in a second.
    /// </summary>
    public void AllocateOnly(int images, GenerationOptions options)
    {
        int length = model.Config.BlockSize;
        options.Validate(length);
        int[] counts = DecodingSchedule.TokensPerStep(length, options.Steps, options.Schedule);
        using Run run = new(model, images, counts.Max(), counts.Max(), RandomOrder.Draw(length, options.Sampling.Seed),
            Enumerable.Range(0, images).ToArray(), options.Sampling, null);
        LastRunMemory = (run.State.KvCacheBytes, run.State.ActivationBytes);
    }

    /// <summary>
    /// Completes token grids: where <paramref name="known"/>[p] is true every image keeps
    /// <paramref name="canvases"/>[b][p]; every other position is generated. The known tokens are
    /// pre-filled first (<see cref="Prefill"/>, in a random order from the seed), then the steps
    /// run over the unknown positions only, in the options' order restricted to them (random from
    /// the seed by default); with fewer unknown positions than steps, one is generated per step.
    /// With nothing known this is exactly <see cref="Generate"/>; with everything known it
    /// returns the canvases unchanged. Returns tokens [images][L] in grid order.
    /// </summary>
    public int[][] Complete(IReadOnlyList<int> classes, IReadOnlyList<int[]>? canvases, bool[]? known,
        GenerationOptions options, IReadOnlyList<int>? imageIndices = null, IProgress<DecodeProgress>? progress = null,
        CancellationToken cancel = default)
    {
        ArpgConfig c = model.Config;
        int length = c.BlockSize, images = classes.Count;
        TokenChecks.RequireClasses(c, classes);
        options.Validate(length);
        int[] indices = imageIndices?.ToArray() ?? Enumerable.Range(0, images).ToArray();
        if (indices.Length != images)
            throw new ArgumentException($"{indices.Length} image indices for {images} classes");
        known ??= new bool[length];
        int[][] canvas = canvases?.Select(t => (int[])t.Clone()).ToArray()
                         ?? Enumerable.Range(0, images).Select(_ => new int[length]).ToArray();
        if (known.Length != length || canvas.Length != images)
            throw new ArgumentException($"{canvas.Length} canvases and a mask of {known.Length} for {images} images of {length} tokens");
        foreach (int[] row in canvas)
            for (int p = 0; p < row.Length && p < length; p++)
                if (!known[p])
                    row[p] = 0; // whatever an unknown position held is ignored
        TokenChecks.RequireCanvas(c, canvas, "known tokens");

        int[] knownPositions = Enumerable.Range(0, length).Where(p => known[p]).ToArray();
        knownPositions = RandomOrder.Draw(knownPositions.Length, options.Sampling.Seed, RandomOrder.PrefillStream)
            .Select(i => knownPositions[i]).ToArray();
        int[] order = (options.Order ?? RandomOrder.Draw(length, options.Sampling.Seed)).Where(p => !known[p]).ToArray();
        if (order.Length == 0)
            return canvas;
        int[] counts = DecodingSchedule.TokensPerStep(order.Length, Math.Min(options.Steps, order.Length), options.Schedule);

        using Run run = new(model, images, Math.Max(1 + knownPositions.Length, counts.Max()), counts.Max(), order,
            indices, options.Sampling, Clock);
        LastRunMemory = (run.State.KvCacheBytes, run.State.ActivationBytes);
        // prefill: each row's class token at RoPE slot 0 ("no class" for the unconditional half),
        // then the known tokens; both halves of the guided batch see the same known tokens
        int[] classIds = [.. classes.Select(c.ClassTokenId), .. Enumerable.Repeat(c.NoClassTokenId, images)];
        PhaseClock.Run(Clock, Phases.Pass1, () =>
            Prefill.Append(model, run.State, classIds, [.. canvas, .. canvas], [knownPositions]));

        int done = 0;
        for (int step = 0; step < counts.Length; step++)
        {
            cancel.ThrowIfCancellationRequested();
            int m = counts[step];
            float cfg = DecodingSchedule.GuidanceScale(options.CfgSchedule, options.Cfg, done + m, order.Length);
            int[] tokens = run.Step(done, m, step, cfg, feedBack: step < counts.Length - 1);
            for (int b = 0; b < images; b++)
                for (int j = 0; j < m; j++)
                    canvas[b][order[done + j]] = tokens[b * m + j];
            done += m;
            progress?.Report(new DecodeProgress(step + 1, counts.Length, done, order.Length));
        }
        return canvas;
    }

    /// <summary>The device state of one run: caches, the order, the image indices and the sampled tokens.</summary>
    private sealed class Run : IDisposable
    {
        private readonly ArpgTransformer model;
        private readonly TokenSampler sampler;
        private readonly int[] order;
        private readonly Tensor<int> orderOnDevice, indicesOnDevice, tokensOnDevice;
        private readonly int images;
        private readonly PhaseClock? clock;

        public Run(ArpgTransformer model, int images, int maxInputs, int maxTokensPerStep, int[] order, int[] indices,
            SamplingSettings sampling, PhaseClock? clock)
        {
            this.clock = clock;
            this.model = model;
            this.images = images;
            this.order = order;
            ComputeDevice device = model.Device;
            sampler = new TokenSampler(device, sampling, model.Config.VocabSize);
            State = model.CreateState(2 * images, maxInputs, maxTokensPerStep);
            try
            {
                orderOnDevice = Tensor<int>.FromArray(device, order, order.Length);
                indicesOnDevice = Tensor<int>.FromArray(device, indices, images);
                tokensOnDevice = new Tensor<int>(device, images * maxTokensPerStep);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public DecodeState State { get; }

        /// <summary>
        /// One step: pass 2 predicts order[done .. done+m) for every row, guidance and sampling pick
        /// the tokens, and (when <paramref name="feedBack"/>: every step but the last) pass 1 appends
        /// them to the caches. Returns the tokens [images, m]: the only data that crosses to the host.
        /// </summary>
        public int[] Step(int done, int m, int step, float cfg, bool feedBack)
        {
            int[] slots = order[done..(done + m)].Select(p => 1 + p).ToArray();
            State.SetQueries(m, slots);
            PhaseClock.Run(clock, Phases.Pass2, () => model.CrossPass(State, AttentionMask.None));
            ArrayView<float> logits = default;
            PhaseClock.Run(clock, Phases.Head, () => logits = model.Head(State));
            var tokens = tokensOnDevice.Slice(0, images * m);
            int[] sampled = new int[images * m];
            PhaseClock.Run(clock, Phases.Sampling, () =>
            {
                sampler.Sample(logits, images, m, cfg, step, orderOnDevice.Slice(done, m), indicesOnDevice.View, tokens);
                tokens.CopyToCPU(sampled);
            });
            if (feedBack)
            {
                // both halves of the guided batch continue from the same tokens
                State.SetInputs([.. sampled, .. sampled], slots);
                PhaseClock.Run(clock, Phases.Pass1, () => model.Append(State, AttentionMask.None));
            }
            return sampled;
        }

        public void Dispose()
        {
            State.Dispose();
            orderOnDevice?.Dispose();
            indicesOnDevice?.Dispose();
            tokensOnDevice?.Dispose();
        }
    }
}
