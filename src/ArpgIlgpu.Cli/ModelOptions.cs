using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using ArpgIlgpu.Weights;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>The transformer and tokenizer a command will use: configs and checkpoint files.</summary>
/// <param name="Arpg">Transformer config.</param>
/// <param name="ArpgCheckpoint">Its weights, or null for random weights (tiny-random) or when not needed.</param>
/// <param name="Vq">Tokenizer config.</param>
/// <param name="VqCheckpoint">Its weights, or null when random or absent.</param>
/// <param name="Random">True for <c>--model tiny-random</c>: both models randomly initialised.</param>
/// <param name="Precision">Storage of the transformer's weights and KV caches.</param>
internal sealed record ModelChoice(ArpgConfig Arpg, string? ArpgCheckpoint, VqConfig Vq, string? VqCheckpoint, bool Random,
    Precision Precision = Precision.Fp32)
{
    /// <summary>The model as the user named it: a preset, tiny-random, or "--config FILE".</summary>
    public string Name { get; init; } = TinyRandom.Name;

    /// <summary>--weights: the key of the ARPG .pt file's state dict, or null to find it as the official loader does.</summary>
    public string? WeightsKey { get; init; }

    /// <summary>Says once per run which checkpoint entries the models did not use (however many devices load them).</summary>
    public IgnoredTensorWarning IgnoredTensors { get; } = new();

    /// <summary>
    /// The <paramref name="parts"/> of these models on <paramref name="device"/> (the caller keeps
    /// owning it): random weights for <see cref="Random"/>, else loaded from the checkpoints.
    /// </summary>
    public ImagePipeline Open(ComputeDevice device, PipelineParts parts)
    {
        var options = new PipelineOptions { Device = device, Precision = Precision, Parts = parts };
        return IgnoredTensors.After(Random
            ? ImagePipeline.CreateRandom(Arpg, Vq, TinyRandom.WeightSeed, options)
            : ImagePipeline.Load(new PipelineFiles
            {
                Arpg = Arpg, ArpgCheckpoint = ArpgCheckpoint, WeightsKey = WeightsKey, Vq = Vq, VqCheckpoint = VqCheckpoint,
            }, options));
    }
}

/// <summary>
/// The options every model-using command shares: which model (a released preset, a config file
/// with checkpoints, or tiny-random), where its weights are, whether to download them, and the
/// device. Resolving them finds the files (cache, weights/) or says exactly what is missing.
/// </summary>
internal sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model")
    {
        Description = $"Released model ({string.Join(", ", ArpgConfig.Presets.Keys)}) or {TinyRandom.Name} " +
                      "(a small random model: noise pictures, no download)",
        DefaultValueFactory = _ => "ARPG-L",
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Model shapes as JSON ({\"arpg\": {...}, \"vq\": {...}}, the fixture schema); needs the checkpoint options",
    };

    public Option<string?> ArpgCheckpoint { get; } = new("--arpg-checkpoint")
    {
        Description = "ARPG weights (.pt or .safetensors); default: the --model's file in the cache or weights/",
    };

    public Option<string?> VqCheckpoint { get; } = new("--vq-checkpoint")
    {
        Description = "VQ tokenizer weights (.pt or .safetensors); default: vq_ds16_c2i.pt in the cache or weights/",
    };

    public Option<string?> Weights { get; } = new("--weights")
    {
        Description = "The key of the state dict to load from a .pt --arpg-checkpoint, e.g. ema (a training checkpoint's EMA copy); " +
                      "default: model, else module, else state_dict, else the top level, as the official loader",
    };

    public Option<bool> Download { get; } = new("--download")
    {
        Description = "Download missing released weights into the cache first (see `arpg download`)",
    };

    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "Storage of the transformer's weights and KV caches: fp32 (the reference), fp16 (half the memory; sums stay float32) " +
                      "or int8 (weight matrices in q8_0, int8 with a float32 scale per row per 32 columns; embeddings and KV caches fp16)",
        DefaultValueFactory = _ => "fp32",
    };

    public Option<bool> TensorCores { get; } = new("--tensor-cores")
    {
        Description = "With --precision fp16: matrix products on NVIDIA tensor cores (CUDA, compute capability 8.0+; activations " +
                      "rounded to fp16, float32 sums); on CPUs and PoCL the same arithmetic with their kernels. " +
                      "Unverified on hardware: off by default until a GPU has run it against the fixtures",
    };

    public Option<string> Device { get; } = new("--device")
    {
        Description = "auto, cpu, cpu:nvidia|cpu:amd|cpu:intel (GPU simulators: slow, for checking GPU kernels), cuda[:i] or opencl[:i] " +
                      "(auto: CUDA, else an OpenCL GPU, else OpenCL on the CPU, else the CPU accelerator); " +
                      "generate and sample also take a list (cuda:0,cuda:1) or all (every GPU) and split each batch across them",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> Kernels { get; } = new("--kernels")
    {
        Description = "the kernel profile: auto (by the device), cpu, host-opencl or gpu; any can be forced on any device, " +
                      "e.g. the GPU kernels on PoCL or on a GPU simulator (--device cpu:nvidia|cpu:amd|cpu:intel)",
        DefaultValueFactory = _ => "auto",
    };

    public ModelOptions()
    {
        OptionChoices.Restrict(Precision, "fp32", "fp16", "int8");
        OptionChoices.Restrict(Kernels, KernelProfileNames.All);
    }

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command, bool transformer, bool tokenizer)
    {
        command.Options.Add(Model);
        command.Options.Add(Config);
        if (transformer)
        {
            command.Options.Add(ArpgCheckpoint);
            command.Options.Add(Weights);
            command.Options.Add(Precision);
            command.Options.Add(TensorCores);
        }
        if (tokenizer)
            command.Options.Add(VqCheckpoint);
        command.Options.Add(Download);
        command.Options.Add(Device);
        command.Options.Add(Kernels);
    }

    /// <summary>Opens the device named by --device, saying on stderr which one it is.</summary>
    public ComputeDevice OpenDevice(ParseResult parsed)
    {
        string text = parsed.GetValue(Device)!;
        if (text.Contains(',') || text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException($"--device '{text}': this command runs on one device (lists and all: generate, sample)");
        return Open(DeviceSpec.Parse(text), KernelProfileNames.Parse(parsed.GetValue(Kernels)!), parsed.GetValue(TensorCores));
    }

    /// <summary>
    /// Opens every device of --device: one spec, a comma-separated list, or all (every GPU; the
    /// one auto picks when there is none), saying on stderr which they are.
    /// </summary>
    public List<ComputeDevice> OpenDevices(ParseResult parsed)
    {
        string text = parsed.GetValue(Device)!;
        IReadOnlyList<DeviceSpec> specs = text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? ComputeDevice.AllGpus()
            : DeviceSpec.ParseList(text);
        if (specs.Count == 0)
        {
            Console.Error.WriteLine("note: --device all: no GPU found, using the device auto picks");
            specs = [DeviceSpec.Auto];
        }
        KernelProfile kernels = KernelProfileNames.Parse(parsed.GetValue(Kernels)!);
        var devices = new List<ComputeDevice>();
        try
        {
            foreach (DeviceSpec spec in specs)
                devices.Add(Open(spec, kernels, parsed.GetValue(TensorCores)));
            return devices;
        }
        catch
        {
            devices.ForEach(d => d.Dispose());
            throw;
        }
    }

    private static ComputeDevice Open(DeviceSpec spec, KernelProfile kernels, bool tensorCores)
    {
        ComputeDevice device = ComputeDevice.Open(spec, kernels, tensorCores);
        Console.Error.WriteLine($"device: {device.Description}");
        return device;
    }

    /// <summary>
    /// Resolves configs and files for a command that uses the transformer and/or the tokenizer.
    /// With --config, a command that can do without the tokenizer (generate --save-tokens) gets
    /// none when --vq-checkpoint is absent (<paramref name="tokenizerOptionalWithConfig"/>).
    /// </summary>
    public async Task<ModelChoice> ResolveAsync(ParseResult parsed, bool transformer, bool tokenizer,
        CancellationToken cancel, bool tokenizerOptionalWithConfig = false) =>
        await ResolveFilesAsync(parsed, transformer, tokenizer, cancel, tokenizerOptionalWithConfig) with
        {
            Precision = ReadPrecision(parsed),
            WeightsKey = transformer ? parsed.GetValue(Weights) : null,
        };

    /// <summary>--precision as a <see cref="Runtime.Precision"/> (fp32 where the command has no such option).</summary>
    public Precision ReadPrecision(ParseResult parsed) =>
        parsed.GetValue(Precision) switch
        {
            "fp16" => Runtime.Precision.Fp16,
            "int8" => Runtime.Precision.Int8,
            _ => Runtime.Precision.Fp32,
        };

    private async Task<ModelChoice> ResolveFilesAsync(ParseResult parsed, bool transformer, bool tokenizer,
        CancellationToken cancel, bool tokenizerOptionalWithConfig)
    {
        string model = parsed.GetValue(Model)!;
        string? configPath = parsed.GetValue(Config);
        string? arpgFile = transformer ? parsed.GetValue(ArpgCheckpoint) : null;
        string? vqFile = tokenizer ? parsed.GetValue(VqCheckpoint) : null;

        if (PretrainedModels.IsTinyRandom(model) && configPath is null)
        {
            if (arpgFile is not null || vqFile is not null)
                throw new InvalidInputException($"--model {TinyRandom.Name} has random weights; it takes no checkpoint options");
            return new ModelChoice(TinyRandom.Arpg, null, TinyRandom.Vq, null, Random: true);
        }
        if (configPath is not null)
        {
            ModelConfigFile file = ModelConfigFile.Read(configPath);
            if (transformer && file.Arpg is null)
                throw new InvalidInputException($"--config {configPath}: no \"arpg\" object");
            if (transformer && arpgFile is null)
                throw new InvalidInputException("--config needs --arpg-checkpoint (the weights of that shape)");
            if (tokenizer && vqFile is null && !tokenizerOptionalWithConfig)
                throw new InvalidInputException("--config needs --vq-checkpoint (the tokenizer of that shape)");
            RequireFile(arpgFile, "--arpg-checkpoint");
            RequireFile(vqFile, "--vq-checkpoint");
            return new ModelChoice(file.Arpg ?? TinyRandom.Arpg, arpgFile, file.Vq ?? VqConfig.Vq16, vqFile, Random: false)
            {
                Name = $"--config {Path.GetFileName(configPath)}",
            };
        }
        string presetName = PretrainedModels.Preset(model);
        RequireFile(arpgFile, "--arpg-checkpoint");
        RequireFile(vqFile, "--vq-checkpoint");
        using var printer = new DownloadProgressPrinter(Console.Error, redrawInPlace: !Console.IsErrorRedirected);
        var wanted = new PipelineOptions
        {
            Parts = (transformer && arpgFile is null ? PipelineParts.Transformer : PipelineParts.None) |
                    (tokenizer && vqFile is null ? PipelineParts.Tokenizer : PipelineParts.None),
            Download = parsed.GetValue(Download),
            DownloadOptions = new DownloadOptions { Mirror = MirrorUrl.Resolve(null) },
            DownloadProgress = printer,
        };
        PipelineFiles found;
        try
        {
            found = await PretrainedModels.FindFilesAsync(presetName, wanted, cancel);
        }
        catch (MissingWeightsException e)
        {
            throw new InvalidInputException(e.Searched + " (or pass --download)", e);
        }
        return new ModelChoice(found.Arpg, arpgFile ?? found.ArpgCheckpoint, found.Vq, vqFile ?? found.VqCheckpoint, Random: false)
        {
            Name = presetName,
        };
    }

    private static void RequireFile(string? path, string option)
    {
        if (path is not null && !File.Exists(path))
            throw new InvalidInputException($"{option} {path}: no such file");
    }
}
