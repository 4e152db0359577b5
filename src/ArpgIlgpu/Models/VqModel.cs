using ArpgIlgpu.Checkpoints;
using ArpgIlgpu.Runtime;
using ILGPU;

namespace ArpgIlgpu.Models;

/// <summary>
/// LlamaGen's VQ tokenizer on a device: <see cref="Decode(ReadOnlySpan{int}, int, int, int)"/>
/// turns a grid of codes into an image, <see cref="Encode(ReadOnlySpan{float}, int, int, int)"/>
/// an image into its latent and codes. Images are [B, 3, H, W] floats, nominally in [-1, 1]
/// (pixels p map to p / 127.5 - 1); H = gh * f and W = gw * f with f the downsample factor.
/// Weights are bound once, by the official names; activations live in a scratch allocated once
/// per (images per pass, grid) and reused.
/// </summary>
public sealed class VqModel : IDisposable
{
    /// <summary>
    /// Scratch memory a forward pass may take, as a fraction of the device's memory and at most
    /// this many bytes: beyond a few images per pass the kernels gain nothing from larger
    /// batches, and a bounded scratch keeps memory use predictable on hosts (the CPU
    /// accelerator, PoCL) that report all of RAM.
    /// </summary>
    private const long MaxScratchBytes = 2L << 30;

    private readonly VqWeights weights;
    private readonly VqEncoder encoder;
    private readonly VqDecoder decoder;
    private readonly ConvLayer quantConv, postQuantConv;
    private readonly Tensor<float> codebook;
    private VqScratch? scratch;

    private VqModel(ComputeDevice device, VqConfig config, WeightSource source)
    {
        Device = device;
        Config = config;
        IReadOnlyDictionary<string, int[]> shapes = config.ExpectedTensors();
        using var staged = new StagedWeights(device, shapes, source);
        weights = new VqWeights(device, shapes, staged.Read);
        try
        {
            encoder = new VqEncoder(weights, config);
            decoder = new VqDecoder(weights, config);
            quantConv = weights.Conv("quant_conv");
            postQuantConv = weights.Conv("post_quant_conv");
            codebook = weights.Tensor("quantize.embedding.weight");
            // codebook_l2_norm: lookups and searches use unit rows; normalise them once.
            if (config.CodebookL2Norm)
                device.Ops.L2NormalizeRows(codebook.View, codebook.View, config.CodebookSize, config.CodebookEmbedDim);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public VqConfig Config { get; }

    /// <summary>The device the weights live on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>
    /// Binds the weights of a checkpoint (LlamaGen's vq_ds16_c2i.pt or any file with the official
    /// names), after checking every tensor's shape against <paramref name="config"/>.
    /// </summary>
    public static VqModel Load(ComputeDevice device, VqConfig config, StateDict weights)
    {
        ShapeCheck.Verify(weights, config.ExpectedTensors(), VqConfig.IgnoredTensors.Contains,
            "is the VQ config the one this checkpoint was trained with?");
        RequireRoom(device, config);
        return new VqModel(device, config, (name, values) => FiniteWeights.Read(weights, name, values));
    }

    /// <summary>
    /// A model with random weights (convolutions N(0, 1/fan_in), GroupNorm scale 1 and shift 0,
    /// biases 0, codebook N(0, 1)), reproducible from <paramref name="seed"/>: for benchmarks and
    /// tests that need the shape, not the trained values.
    /// </summary>
    public static VqModel CreateRandom(ComputeDevice device, VqConfig config, int seed)
    {
        IReadOnlyDictionary<string, int[]> shapes = config.ExpectedTensors();
        RequireRoom(device, config);
        var rng = new Random(seed);
        return new VqModel(device, config, (name, values) =>
        {
            int[] shape = shapes[name];
            if (shape.Length == 4)
                RandomNormal.Fill(rng, values, 1f / MathF.Sqrt(shape[1] * shape[2] * shape[3]));
            else if (name == "quantize.embedding.weight")
                RandomNormal.Fill(rng, values, 1f);
            else if (name.EndsWith(".weight", StringComparison.Ordinal))
                values.Fill(1f); // GroupNorm scale
            else
                values.Clear(); // biases
        });
    }

    /// <summary>Refuses a config whose weights (float32), with the staging buffer of their load, cannot fit on the device, before any is made.</summary>
    private static void RequireRoom(ComputeDevice device, VqConfig config) =>
        MemoryCheck.RequireRoom(device, checked(config.ParameterCount * 4 + StagedWeights.BytesOnDevice(device, config.ExpectedTensors())),
            $"the tokenizer's weights ({config.ParameterCount:N0} parameters)");

    private long ScratchBudget => Math.Min(Device.Accelerator.MemorySize / 4, MaxScratchBytes);

    /// <summary>A cap on images per pass below what memory allows (tests use it to force several passes).</summary>
    internal int? MaxImagesPerPass { get; set; }

    /// <summary>Images one forward pass takes for this grid, given the device's memory.</summary>
    public int ImagesPerPass(int gridHeight, int gridWidth)
    {
        long budget = ScratchBudget;
        long perImage = VqScratch.BytesPerImage(Config, gridHeight, gridWidth);
        return (int)Math.Clamp(budget / perImage, 1, 1024);
    }

    /// <summary>
    /// Decodes codes [batch, gh, gw] (each in 0..codebook_size-1; checked) to images
    /// [batch, 3, gh*f, gw*f] on the host.
    /// </summary>
    public float[] Decode(ReadOnlySpan<int> codes, int batch, int gridHeight, int gridWidth)
    {
        RequireGrid(batch, gridHeight, gridWidth);
        int tokens = gridHeight * gridWidth;
        if (codes.Length != batch * tokens)
            throw new InvalidInputException(
                $"{codes.Length} codes for {batch} image(s) of {gridHeight}x{gridWidth} tokens (expected {batch * tokens})");
        for (int i = 0; i < codes.Length; i++)
            if ((uint)codes[i] >= (uint)Config.CodebookSize)
                throw new InvalidInputException(
                    $"image {i / tokens}, token {i % tokens}: code {codes[i]} is outside the codebook 0..{Config.CodebookSize - 1}");
        int f = Config.DownsampleFactor;
        using var deviceCodes = Tensor<int>.FromArray(Device, codes, codes.Length);
        using var images = new Tensor<float>(Device, batch, 3, gridHeight * f, gridWidth * f);
        Decode(deviceCodes.View, batch, gridHeight, gridWidth, images.View);
        return images.ToArray();
    }

    /// <summary>
    /// Decodes on the device: codes [batch, gh, gw] -> images [batch, 3, gh*f, gw*f], in passes of
    /// <see cref="ImagesPerPass"/> images. Codes are not checked here; one outside the codebook
    /// turns its image into NaN.
    /// </summary>
    public void Decode(ArrayView<int> codes, int batch, int gridHeight, int gridWidth, ArrayView<float> images)
    {
        RequireGrid(batch, gridHeight, gridWidth);
        int tokens = gridHeight * gridWidth, e = Config.CodebookEmbedDim;
        long imageLength = 3L * tokens * Config.DownsampleFactor * Config.DownsampleFactor;
        foreach ((int first, VqScratch s) in Passes(batch, gridHeight, gridWidth))
        {
            // codes -> codebook vectors, channel-first: [n, e, gh, gw]
            Device.Ops.CodebookLookup(codes.SubView(first * tokens, s.Batch * tokens), codebook.View, s.Latent.View,
                s.Batch, tokens, Config.CodebookSize, e);
            // post_quant_conv to z_channels, then the decoder
            var latent = new FeatureMap(s.Latent, e, gridHeight, gridWidth);
            FeatureMap z = postQuantConv.Same(s, latent, s.Maps[0]);
            decoder.Forward(s, z, images.SubView(first * imageLength, s.Batch * imageLength));
        }
    }

    /// <summary>
    /// Encodes images [batch, 3, H, W] (values in [-1, 1]; H and W multiples of the downsample
    /// factor) on the host: the quant_conv latent [batch, e, H/f, W/f] and the nearest codes [batch, H/f, W/f].
    /// </summary>
    public VqEncoding Encode(ReadOnlySpan<float> images, int batch, int height, int width)
    {
        (int gridHeight, int gridWidth) = RequireImageSize(batch, height, width);
        if (images.Length != (long)batch * 3 * height * width)
            throw new InvalidInputException(
                $"{images.Length} values for {batch} image(s) of 3x{height}x{width} (expected {(long)batch * 3 * height * width})");
        foreach (float v in images)
            if (!float.IsFinite(v))
                throw new InvalidInputException("image values must be finite numbers (NaN or infinity found)");
        int tokens = gridHeight * gridWidth;
        using var deviceImages = Tensor<float>.FromArray(Device, images, images.Length);
        using var latent = new Tensor<float>(Device, batch, Config.CodebookEmbedDim, gridHeight, gridWidth);
        using var codes = new Tensor<int>(Device, batch, gridHeight, gridWidth);
        Encode(deviceImages.View, batch, height, width, latent.View, codes.View);
        return new VqEncoding(latent.ToArray(), codes.ToArray(), gridHeight, gridWidth);
    }

    /// <summary>
    /// Encodes on the device: images [batch, 3, H, W] -> latent [batch, e, H/f, W/f] (quant_conv's
    /// output, before quantisation) and codes [batch, H/f, W/f] (the nearest codebook rows,
    /// l2-normalised when codebook_l2_norm; lowest index on ties).
    /// </summary>
    public void Encode(ArrayView<float> images, int batch, int height, int width, ArrayView<float> latent,
        ArrayView<int> codes)
    {
        (int gridHeight, int gridWidth) = RequireImageSize(batch, height, width);
        int tokens = gridHeight * gridWidth, e = Config.CodebookEmbedDim;
        long imageLength = 3L * height * width;
        foreach ((int first, VqScratch s) in Passes(batch, gridHeight, gridWidth))
        {
            int rows = s.Batch * tokens;
            ArrayView<float> passLatent = latent.SubView(first * tokens * e, rows * e);
            // the encoder, then quant_conv down to the codebook's width
            FeatureMap z = encoder.Forward(s, images.SubView(first * imageLength, s.Batch * imageLength), height, width);
            quantConv.Same(s, z.View, passLatent, gridHeight, gridWidth);
            // one row per position: [n, e, gh*gw] -> [n, gh*gw, e], l2-normalised, then the nearest code
            ArrayView<float> positions = s.Besides(z).First.View;
            Device.Ops.Transpose(passLatent, positions, s.Batch, e, tokens);
            if (Config.CodebookL2Norm)
                Device.Ops.L2NormalizeRows(positions, positions, rows, e);
            Device.Ops.NearestCode(positions, codebook.View, codes.SubView(first * tokens, rows), rows,
                Config.CodebookSize, e);
        }
    }

    /// <summary>
    /// Splits a batch into forward passes: (first image, scratch set to the pass's image count).
    /// The scratch is reused while it is large enough for the grid and the pass.
    /// </summary>
    private IEnumerable<(int First, VqScratch Scratch)> Passes(int batch, int gridHeight, int gridWidth)
    {
        int perPass = Math.Min(Math.Min(batch, ImagesPerPass(gridHeight, gridWidth)), MaxImagesPerPass ?? batch);
        if (scratch is null || scratch.GridHeight != gridHeight || scratch.GridWidth != gridWidth
            || scratch.Capacity < perPass)
        {
            scratch?.Dispose();
            scratch = null;
            scratch = new VqScratch(Device, Config, perPass, gridHeight, gridWidth);
        }
        for (int first = 0; first < batch; first += perPass)
        {
            scratch.Batch = Math.Min(perPass, batch - first);
            yield return (first, scratch);
        }
    }

    /// <summary>
    /// Throws when the batch or grid is empty, or when one image's activations would not fit in
    /// the scratch budget (a 1024 x 1024 image is about the largest VQ-16 takes), so that a
    /// user's grid size cannot exhaust memory.
    /// </summary>
    private void RequireGrid(int batch, int gridHeight, int gridWidth)
    {
        if (batch < 1 || gridHeight < 1 || gridWidth < 1)
            throw new InvalidInputException($"{batch} image(s) of {gridHeight}x{gridWidth} tokens: all must be positive");
        long perImage = VqScratch.BytesPerImage(Config, gridHeight, gridWidth), budget = ScratchBudget;
        if (perImage > budget)
        {
            int f = Config.DownsampleFactor;
            throw new InvalidInputException(
                $"a {gridWidth * f}x{gridHeight * f} image ({gridWidth}x{gridHeight} tokens) needs " +
                $"{ComputeDevice.FormatBytes(perImage)} of VQ activations, more than the {ComputeDevice.FormatBytes(budget)} allowed");
        }
    }

    /// <summary>
    /// Throws an <see cref="InvalidInputException"/> when one image of
    /// <paramref name="gridHeight"/> x <paramref name="gridWidth"/> tokens cannot be decoded
    /// here (its activations exceed the device's share), before any work is done for it.
    /// </summary>
    public void RequireDecodable(int gridHeight, int gridWidth) => RequireGrid(1, gridHeight, gridWidth);

    /// <summary>The token grid of an image size; throws when a side is not a positive multiple of f.</summary>
    private (int GridHeight, int GridWidth) RequireImageSize(int batch, int height, int width)
    {
        int f = Config.DownsampleFactor;
        if (batch < 1 || height < f || width < f || height % f != 0 || width % f != 0)
            throw new InvalidInputException(
                $"{batch} image(s) of {width}x{height} pixels: the VQ needs at least one image whose sides are positive multiples of {f}");
        RequireGrid(batch, height / f, width / f);
        return (height / f, width / f);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        scratch?.Dispose();
        weights.Dispose();
    }
}

/// <summary>What <see cref="VqModel.Encode(ReadOnlySpan{float}, int, int, int)"/> returns.</summary>
/// <param name="Latent">quant_conv's output before quantisation: [batch, codebook_embed_dim, gh, gw].</param>
/// <param name="Codes">The nearest codebook rows: [batch, gh, gw], row-major (grid order).</param>
/// <param name="GridHeight">gh: token rows.</param>
/// <param name="GridWidth">gw: token columns.</param>
public sealed record VqEncoding(float[] Latent, int[] Codes, int GridHeight, int GridWidth);
