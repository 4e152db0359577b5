using ArpgIlgpu.Generation;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;
using System.Text.Json;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg bench`: times generation on weights of the real shapes (random with --random-weights,
/// so no download is needed) and reports each phase as time, GFLOP/s and GB/s and as fractions
/// of this device's peaks measured in the same run; `arpg bench kernels` does the same per op.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var random = new Option<bool>("--random-weights") { Description = "Random weights of the model's shape (no checkpoint needed)" };
        var batch = new Option<int>("--batch") { Description = "Images per run", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Decoding steps", DefaultValueFactory = _ => 64 };
        var vq = new Option<bool>("--vq") { Description = "Also decode the images with the VQ-16 tokenizer (random weights with --random-weights)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of a table" };
        var memoryOnly = new Option<bool>("--memory-only")
        {
            Description = "Allocate the weights and one generation's KV caches and activations, report the split and run no step (sizes a large batch in seconds)",
        };

        var command = new Command("bench", "Benchmark generation: time per phase against the device's measured peaks");
        models.AddTo(command, transformer: true, tokenizer: true);
        foreach (Option o in new Option[] { random, batch, steps, vq, json, memoryOnly })
            command.Options.Add(o);
        // --device and --json also apply to `bench kernels`
        models.Device.Recursive = true;
        models.Kernels.Recursive = true;
        json.Recursive = true;
        command.Subcommands.Add(KernelBenchCommand.Create(models, json));
        command.SetAction(async (parsed, cancel) =>
        {
            int images = parsed.GetValue(batch), stepCount = parsed.GetValue(steps);
            if (images < 1)
                throw new InvalidInputException($"--batch {images}: must be at least 1");
            bool randomWeights = parsed.GetValue(random), withVq = parsed.GetValue(vq), onlyMemory = parsed.GetValue(memoryOnly);
            if (onlyMemory && withVq)
                throw new InvalidInputException("--memory-only with --vq: the memory report covers the transformer only; drop --vq");
            ModelChoice choice = randomWeights
                ? RandomChoice(parsed, models) with { Precision = models.ReadPrecision(parsed) }
                : await models.ResolveAsync(parsed, transformer: true, tokenizer: withVq, cancel);
            DecodingSchedule.RequireSteps(stepCount, choice.Arpg.BlockSize);

            using ComputeDevice device = models.OpenDevice(parsed);
            using ImagePipeline pipeline = choice.Open(device, withVq ? PipelineParts.Both : PipelineParts.Transformer);
            ArpgTransformer transformer = pipeline.Transformer;
            if (onlyMemory)
                return ReportMemory(GenerationBenchmark.Memory(transformer, images, stepCount), device, choice,
                    parsed.GetValue(models.Config) ?? parsed.GetValue(models.Model), images, stepCount, parsed.GetValue(json));
            VqModel? tokenizer = withVq ? pipeline.Tokenizer : null;
            Console.Error.WriteLine("measuring the device's copy and read bandwidth and GEMM peak ...");
            DevicePeaks peaks = DevicePeaks.Measure(device);
            Console.Error.WriteLine($"benchmarking {images} image(s), {stepCount} steps ...");
            GenerationReport report = GenerationBenchmark.Run(transformer, tokenizer, images, stepCount, peaks);

            var result = new
            {
                device = device.Description,
                model = parsed.GetValue(models.Config) ?? parsed.GetValue(models.Model),
                random_weights = choice.Random,
                precision = PrecisionText(choice.Precision),
                parameters = choice.Arpg.ParameterCount,
                batch = images,
                steps = stepCount,
                seconds = report.Seconds,
                images_per_s = report.ImagesPerSecond,
                tokens_per_s = report.TokensPerSecond(choice.Arpg.BlockSize),
                copy_bandwidth_gbs = peaks.CopyBandwidthGBs,
                read_bandwidth_gbs = peaks.ReadBandwidthGBs,
                peak_gemm_gflops = peaks.GemmGflops,
                peak_gemm_size = peaks.GemmSize,
                step_seconds = report.StepSeconds,
                step_copy_roofline_seconds = report.CopyRooflineStepSeconds,
                step_copy_roofline_fraction = report.CopyRooflineFraction,
                step_read_roofline_seconds = report.ReadRooflineStepSeconds,
                step_read_roofline_fraction = report.ReadRooflineFraction,
                step_gemm_floor_seconds = report.GemmFloorStepSeconds,
                step_roofline_seconds = report.RooflineStepSeconds,
                step_roofline_fraction = report.RooflineFraction,
                memory_bytes = MemoryJson(report.Memory),
                phases = report.Phases.Select(p => new
                {
                    name = p.Name, seconds = p.Seconds, calls = p.Calls, gflop = p.Cost.Flops / 1e9, gbytes = p.Cost.Bytes / 1e9,
                    gflops = p.Gflops, gbs = p.Gbs, fraction_of_copy_bandwidth = p.FractionOfBandwidth,
                    fraction_of_peak_gemm = p.FractionOfGemm,
                }),
            };
            if (parsed.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            else
                PrintTable(report, result.device, choice.Arpg.BlockSize);
            return CommandRunner.Ok;
        });
        return command;
    }

    private static string PrecisionText(Precision precision) => precision switch
    {
        Precision.Fp16 => "fp16 storage (weights, KV caches), converted to float32 in the kernels on every backend",
        Precision.Int8 => "int8 weight matrices (q8_0: 1.125 bytes per weight), fp16 embeddings and KV caches, float32 sums",
        _ => "fp32",
    };

    private static int ReportMemory(MemorySplit memory, ComputeDevice device, ModelChoice choice, string? model,
        int images, int stepCount, bool json)
    {
        if (json)
        {
            var result = new
            {
                device = device.Description,
                model,
                precision = PrecisionText(choice.Precision),
                parameters = choice.Arpg.ParameterCount,
                batch = images,
                steps = stepCount,
                memory_bytes = MemoryJson(memory),
            };
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine($"device: {device.Description}");
            Console.WriteLine($"{images} image(s), {stepCount} steps: {MemoryLine(memory)}");
        }
        return CommandRunner.Ok;
    }

    private static object MemoryJson(MemorySplit m) =>
        new { weights = m.Weights, kv_caches = m.KvCaches, activations = m.Activations, total = m.Total };

    private static string MemoryLine(MemorySplit m) =>
        $"memory: weights {ComputeDevice.FormatBytes(m.Weights)}, KV caches {ComputeDevice.FormatBytes(m.KvCaches)}, " +
        $"activations {ComputeDevice.FormatBytes(m.Activations)}, total {ComputeDevice.FormatBytes(m.Total)}";

    private static ModelChoice RandomChoice(ParseResult parsed, ModelOptions models)
    {
        string? config = parsed.GetValue(models.Config);
        string model = parsed.GetValue(models.Model)!;
        if (config is not null)
        {
            ModelConfigFile file = ModelConfigFile.Read(config);
            return new ModelChoice(file.Arpg ?? throw new InvalidInputException($"--config {config}: no \"arpg\" object"),
                null, file.Vq ?? VqConfig.Vq16, null, Random: true);
        }
        if (PretrainedModels.IsTinyRandom(model))
            return new ModelChoice(TinyRandom.Arpg, null, TinyRandom.Vq, null, Random: true);
        return new ModelChoice(ArpgConfig.Presets[PretrainedModels.Preset(model)], null, VqConfig.Vq16, null, Random: true);
    }

    private static void PrintTable(GenerationReport r, string device, int tokens)
    {
        Console.WriteLine($"device: {device}");
        Console.WriteLine($"peaks: copy {r.Peaks.CopyBandwidthGBs:F1} GB/s, read {r.Peaks.ReadBandwidthGBs:F1} GB/s, GEMM {r.Peaks.GemmGflops:F1} GFLOP/s ({r.Peaks.GemmSize}^3)");
        Console.WriteLine($"{r.Batch} image(s), {r.Steps} steps: {r.Seconds:F2} s, {r.ImagesPerSecond:F3} img/s, {r.TokensPerSecond(tokens):F1} tokens/s");
        Console.WriteLine($"{"phase",-10} {"seconds",9} {"calls",6} {"GFLOP/s",9} {"GB/s",8} {"of GEMM",8} {"of BW",7}");
        foreach (PhaseReport p in r.Phases)
            Console.WriteLine($"{p.Name,-10} {p.Seconds,9:F3} {p.Calls,6} {p.Gflops,9:F2} {p.Gbs,8:F2} {p.FractionOfGemm,8:P0} {p.FractionOfBandwidth,7:P0}");
        Console.WriteLine($"step: {r.StepSeconds * 1e3:F1} ms; memory-bandwidth floor {r.CopyRooflineStepSeconds * 1e3:F1} ms at the copy rate " +
                          $"({r.CopyRooflineFraction:P0} of that roofline), {r.ReadRooflineStepSeconds * 1e3:F1} ms at the read rate ({r.ReadRooflineFraction:P0}); compute floor " +
                          $"{r.GemmFloorStepSeconds * 1e3:F1} ms at the GEMM rate; roofline {r.RooflineStepSeconds * 1e3:F1} ms ({r.RooflineFraction:P0})");
        Console.WriteLine(MemoryLine(r.Memory));
    }
}
