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
    /// <summary>Guidance, filtering, drawing the tokens and moving them into the canvases and the next inputs.</summary>
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
    /// When set, hears every step of <see cref="Generate"/> and <see cref="Complete"/>: the
    /// positions filled, their tokens and, if it asks, their probabilities. Absent (the default),
    /// a run copies nothing per step and computes nothing extra.
    /// </summary>
    public StepObserver? Observer { get; init; }

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
        using Run run = new(model, images, Sizes(1, counts), RandomOrder.Draw(length, options.Sampling.Seed),
            Enumerable.Range(0, images).ToArray(), new int[images * length], options.Sampling, null, null);
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

        using Run run = new(model, images, Sizes(1 + knownPositions.Length, counts), order, indices, [.. canvas.SelectMany(t => t)],
            options.Sampling, Clock, Observer);
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
            run.Step(done, m, step, cfg, feedBack: step < counts.Length - 1);
            done += m;
            Observer?.OnStep(new DecodedStep(step, counts.Length, indices, order[(done - m)..done], run.Observed!.Tokens,
                run.Observed.Probabilities, cfg, DecodingSchedule.MaskedFraction(step, counts.Length, options.Schedule),
                done, order.Length));
            // nothing else waits for the device inside the loop: without this the host would queue
            // every step at once, and report progress (or check for cancellation) long before the work is done
            if (progress is not null || cancel.CanBeCanceled)
            {
                model.Device.Synchronize();
                run.RequireFiniteLogits(step); // the device has waited anyway: 4 bytes more stop a broken model at once
            }
            progress?.Report(new DecodeProgress(step + 1, counts.Length, done, order.Length));
        }
        return run.Canvases();
    }

    /// <summary>
    /// What sizes a run's device state. The widest pass-1 and pass-2 calls (tokens or queries per
    /// row) size its activations. Pass 1 takes the prefill (the class token and any known tokens)
    /// and the tokens of every step but the last, which nothing reads. A step's queries are
    /// independent of one another (they read the shared cache, never each other), so a step wider
    /// than that (under arccos the last: 28 of 256 tokens in 64 steps) predicts in chunks of the
    /// same width, with the same result, and the activations are sized by the narrower width. The
    /// caches hold what pass 1 appends: the prefill and every step's tokens but the last's
    /// (1 + 256 - 28 = 229 positions under arccos in 64 steps, against 1 + L for scoring).
    /// </summary>
    private static StateSize Sizes(int prefill, int[] counts)
    {
        int inputs = Math.Max(prefill, counts.Length > 1 ? counts[..^1].Max() : 1);
        return new StateSize(inputs, Math.Min(counts.Max(), inputs), prefill + counts[..^1].Sum());
    }

    /// <summary>Tokens per pass-1 call, queries per pass-2 call and cache positions, per row.</summary>
    private readonly record struct StateSize(int Inputs, int Queries, int Positions);

    /// <summary>
    /// The device state of one run, uploaded once: caches, the order and its RoPE slots, the image
    /// indices and the canvases. The sampled tokens stay on the device: a small kernel writes them
    /// into the canvases and into the next step's inputs, so a step copies nothing to or from the
    /// host and allocates nothing; the canvases come back once, at the end.
    /// </summary>
    private sealed class Run : IDisposable
    {
        private readonly ArpgTransformer model;
        private readonly TokenSampler sampler;
        private readonly Tensor<int> orderOnDevice, slotsOnDevice, indicesOnDevice, tokensOnDevice, canvasOnDevice;
        // set to 1 by the first step whose logits hold NaN or infinity (Ops.FlagNonFinite); never reset
        private readonly Tensor<int> nonFiniteLogits;
        private readonly int images;
        private readonly PhaseClock? clock;
        // the phases' work, bound once so that the step loop allocates no closures
        private readonly Action pass1, pass2, head, sample;
        // what `sample` works on: the chunk of queries being predicted
        private Chunk chunk;
        private ArrayView<float> logits;
        // only with an observer: the chosen tokens' probabilities of a chunk [images, queries]
        private readonly Tensor<float>? probabilitiesOnDevice;
        private readonly StepObserver? observer;

        public Run(ArpgTransformer model, int images, StateSize size, int[] order, int[] indices,
            int[] canvases, SamplingSettings sampling, PhaseClock? clock, StepObserver? observer)
        {
            this.observer = observer;
            this.clock = clock;
            this.model = model;
            this.images = images;
            ComputeDevice device = model.Device;
            sampler = new TokenSampler(device, sampling, model.Config.VocabSize);
            State = model.CreateState(2 * images, size.Inputs, size.Queries, size.Positions);
            try
            {
                orderOnDevice = Tensor<int>.FromArray(device, order, order.Length);
                // slot 0 is the class token's, so grid position p has RoPE slot 1 + p
                slotsOnDevice = Tensor<int>.FromArray(device, order.Select(p => 1 + p).ToArray(), order.Length);
                indicesOnDevice = Tensor<int>.FromArray(device, indices, images);
                tokensOnDevice = new Tensor<int>(device, images * size.Queries);
                canvasOnDevice = Tensor<int>.FromArray(device, canvases, images, model.Config.BlockSize);
                nonFiniteLogits = Tensor<int>.FromArray(device, [0], 1);
                if (observer is { Probabilities: true })
                    probabilitiesOnDevice = new Tensor<float>(device, images * size.Queries);
            }
            catch
            {
                Dispose();
                throw;
            }
            pass1 = () => model.Append(State, AttentionMask.None);
            pass2 = () => model.CrossPass(State, AttentionMask.None);
            head = () => logits = model.Head(State);
            sample = Sample;
        }

        public DecodeState State { get; }

        /// <summary>With an observer: the last step's tokens [images][m] and probabilities (or null), on the host.</summary>
        public ObservedStep? Observed { get; private set; }

        /// <summary>
        /// One step: pass 2 predicts order[done .. done+m) for every row (in chunks of at most
        /// <see cref="DecodeState.MaxQueries"/>), guidance and sampling pick the tokens, which go into
        /// the canvases and (when <paramref name="feedBack"/>: every step but the last) become the
        /// inputs with which pass 1 appends them to the caches, for both halves of the guided batch.
        /// </summary>
        public void Step(int done, int m, int step, float cfg, bool feedBack)
        {
            if (observer is not null)
                Observed = new ObservedStep(Enumerable.Range(0, images).Select(_ => new int[m]).ToArray(),
                    probabilitiesOnDevice is null ? null : Enumerable.Range(0, images).Select(_ => new float[m]).ToArray());
            for (int first = 0; first < m; first += State.MaxQueries)
            {
                int n = Math.Min(State.MaxQueries, m - first);
                chunk = new Chunk(done + first, n, first, m, step, cfg, feedBack);
                State.SetQueries(n, slotsOnDevice.Slice(chunk.From, n));
                PhaseClock.Run(clock, Phases.Pass2, pass2);
                PhaseClock.Run(clock, Phases.Head, head);
                PhaseClock.Run(clock, Phases.Sampling, sample);
            }
            if (feedBack)
            {
                State.SetInputs(m, slotsOnDevice.Slice(done, m));
                PhaseClock.Run(clock, Phases.Pass1, pass1);
            }
        }

        /// <summary>
        /// Throws when any step so far (the last one: <paramref name="step"/>, or null at the end)
        /// produced NaN or infinite logits: the weights or the config are broken, and every token
        /// sampled from such logits is meaningless (argmax of NaN is token 0).
        /// </summary>
        public void RequireFiniteLogits(int? step)
        {
            if (nonFiniteLogits.ToArray()[0] != 0)
                throw new InvalidInputException(
                    $"the model's logits became NaN or infinite{(step is int s ? $" by step {s + 1}" : "")}; " +
                    "its weights or its config are broken (the tokens drawn from them would be meaningless)");
        }

        /// <summary>The canvases [images][L], copied from the device, after checking that every step's logits were finite.</summary>
        public int[][] Canvases()
        {
            RequireFiniteLogits(null);
            int length = model.Config.BlockSize;
            int[] all = canvasOnDevice.ToArray();
            return Enumerable.Range(0, images).Select(b => all[(b * length)..((b + 1) * length)]).ToArray();
        }

        /// <summary>Guidance and sampling for the current chunk, then its tokens to the canvases and the next inputs.</summary>
        private void Sample()
        {
            Chunk c = chunk;
            ArrayView<int> positions = orderOnDevice.Slice(c.From, c.Count), tokens = tokensOnDevice.Slice(0, images * c.Count);
            ArrayView<float> probabilities = probabilitiesOnDevice?.Slice(0, images * c.Count) ?? default;
            // the raw logits of both halves, before guidance and the filters (which write -inf) touch them
            model.Device.Ops.FlagNonFinite(logits.SubView(0, 2L * images * c.Count * model.Config.VocabSize), nonFiniteLogits.View);
            sampler.Sample(logits, images, c.Count, c.Cfg, c.Step, positions, indicesOnDevice.View, tokens, probabilities);
            model.Device.Ops.ScatterTokens(tokens, positions, canvasOnDevice.View, State.InputIds.View,
                new ScatterShape(images, c.Count, model.Config.BlockSize, c.StepTokens, c.Column, c.FeedBack ? 1 : 0));
            if (Observed is { } observed)
            {
                Gather(tokens, observed.Tokens, c);
                if (observed.Probabilities is not null)
                    Gather(probabilities, observed.Probabilities, c);
            }
        }

        /// <summary>Copies a chunk's values [images, Count] into columns Column.. of the step's rows [images][m].</summary>
        private void Gather<T>(ArrayView<T> chunkValues, T[][] step, Chunk c) where T : unmanaged
        {
            var host = new T[images * c.Count];
            chunkValues.CopyToCPU(host);
            for (int b = 0; b < images; b++)
                Array.Copy(host, b * c.Count, step[b], c.Column, c.Count);
        }

        /// <summary>
        /// Queries order[From .. From+Count) of a step of <paramref name="StepTokens"/> tokens, whose
        /// tokens are columns <paramref name="Column"/> .. of the step's pass-1 inputs.
        /// </summary>
        private readonly record struct Chunk(int From, int Count, int Column, int StepTokens, int Step, float Cfg, bool FeedBack);

        /// <summary>A step's tokens [images][m] and probabilities (or null), gathered for the observer.</summary>
        public sealed record ObservedStep(int[][] Tokens, float[][]? Probabilities);

        public void Dispose()
        {
            State.Dispose();
            orderOnDevice?.Dispose();
            slotsOnDevice?.Dispose();
            indicesOnDevice?.Dispose();
            tokensOnDevice?.Dispose();
            canvasOnDevice?.Dispose();
            probabilitiesOnDevice?.Dispose();
            nonFiniteLogits?.Dispose();
        }
    }
}
