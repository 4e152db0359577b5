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
        (int inputs, int queries) = Widths(1, counts);
        using Run run = new(model, images, inputs, queries, RandomOrder.Draw(length, options.Sampling.Seed),
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

        (int maxInputs, int maxQueries) = Widths(1 + knownPositions.Length, counts);
        using Run run = new(model, images, maxInputs, maxQueries, order, indices, options.Sampling, Clock);
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

    /// <summary>
    /// The widest pass-1 and pass-2 calls of a run (tokens or queries per row), which size its
    /// activations. Pass 1 takes the prefill (the class token and any known tokens) and the
    /// tokens of every step but the last, which nothing reads. A step's queries are independent
    /// of one another (they read the shared cache, never each other), so a step wider than that
    /// (under arccos the last: 28 of 256 tokens in 64 steps) predicts in chunks of the same width,
    /// with the same result: ARPG-L at batch 64 then needs 0.18 GB of activations, not 0.42.
    /// </summary>
    private static (int Inputs, int Queries) Widths(int prefill, int[] counts)
    {
        int inputs = Math.Max(prefill, counts.Length > 1 ? counts[..^1].Max() : 1);
        return (inputs, Math.Min(counts.Max(), inputs));
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

        public Run(ArpgTransformer model, int images, int maxInputs, int maxQueries, int[] order, int[] indices,
            SamplingSettings sampling, PhaseClock? clock)
        {
            this.clock = clock;
            this.model = model;
            this.images = images;
            this.order = order;
            ComputeDevice device = model.Device;
            sampler = new TokenSampler(device, sampling, model.Config.VocabSize);
            State = model.CreateState(2 * images, maxInputs, maxQueries);
            try
            {
                orderOnDevice = Tensor<int>.FromArray(device, order, order.Length);
                indicesOnDevice = Tensor<int>.FromArray(device, indices, images);
                tokensOnDevice = new Tensor<int>(device, images * maxQueries);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public DecodeState State { get; }

        /// <summary>
        /// One step: pass 2 predicts order[done .. done+m) for every row (in chunks of at most
        /// <see cref="DecodeState.MaxQueries"/>), guidance and sampling pick the tokens, and (when
        /// <paramref name="feedBack"/>: every step but the last) pass 1 appends them to the caches.
        /// Returns the tokens [images, m]: the only data that crosses to the host.
        /// </summary>
        public int[] Step(int done, int m, int step, float cfg, bool feedBack)
        {
            int[] sampled = new int[images * m];
            for (int first = 0; first < m; first += State.MaxQueries)
            {
                int n = Math.Min(State.MaxQueries, m - first);
                int[] chunk = Predict(done + first, n, step, cfg);
                for (int b = 0; b < images; b++)
                    Array.Copy(chunk, b * n, sampled, b * m + first, n);
            }
            if (feedBack)
            {
                // both halves of the guided batch continue from the same tokens
                State.SetInputs([.. sampled, .. sampled], Slots(done, m));
                PhaseClock.Run(clock, Phases.Pass1, () => model.Append(State, AttentionMask.None));
            }
            return sampled;
        }

        /// <summary>Pass 2, the head and sampling for order[from .. from+n): the tokens [images, n].</summary>
        private int[] Predict(int from, int n, int step, float cfg)
        {
            State.SetQueries(n, Slots(from, n));
            PhaseClock.Run(clock, Phases.Pass2, () => model.CrossPass(State, AttentionMask.None));
            ArrayView<float> logits = default;
            PhaseClock.Run(clock, Phases.Head, () => logits = model.Head(State));
            var tokens = tokensOnDevice.Slice(0, images * n);
            int[] sampled = new int[images * n];
            PhaseClock.Run(clock, Phases.Sampling, () =>
            {
                sampler.Sample(logits, images, n, cfg, step, orderOnDevice.Slice(from, n), indicesOnDevice.View, tokens);
                tokens.CopyToCPU(sampled);
            });
            return sampled;
        }

        /// <summary>RoPE slots of order[from .. from+n): slot 0 is the class token's, so position p has slot 1 + p.</summary>
        private int[] Slots(int from, int n) => order[from..(from + n)].Select(p => 1 + p).ToArray();

        public void Dispose()
        {
            State.Dispose();
            orderOnDevice?.Dispose();
            indicesOnDevice?.Dispose();
            tokensOnDevice?.Dispose();
        }
    }
}
