using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArpgIlgpu.Cli;

/// <summary>
/// `arpg sample --num 50000 --per-class --out DIR`: an evaluation set, as the official
/// <c>sample_c2i_ddp.py</c> makes one for FID: numbered PNGs ({index:D6}.png) and, once all exist,
/// DIR/samples.npz (arr_0: uint8 [N, H, W, 3]) for the ADM evaluation suite.
/// <para>
/// Image i is a pure function of (settings, seed, i): its class comes from
/// <see cref="SampleClasses"/> and its token draws are keyed by i, whatever the batch, device or
/// shard. So the work can be cut freely: <c>--shard k/n</c> makes the images with i % n == k
/// (start the n runs anywhere that sees the folder; <c>--shard auto</c> takes k and n from a
/// Slurm job array or a Kubernetes Indexed Job, <see cref="SampleShard"/>), a run skips images whose PNG exists and
/// decodes (an interrupted run resumes where it stopped), and whichever run ends with all N PNGs
/// present writes the archive.
/// </para>
/// </summary>
internal static class SampleCommand
{
    /// <summary>Six-digit file names, as the official sampler writes them, hold at most this many images.</summary>
    private const int MaxImages = 1_000_000;

    public static Command Create()
    {
        var models = new ModelOptions();
        var sampling = new SamplingOptions();
        var num = new Option<int>("--num") { Description = "Images in the set (the official FID set: 50000)", Required = true };
        var perClass = new Option<bool>("--per-class")
        {
            Description = "Class-balanced: classes in turn (image i has class i mod C), --num a multiple of C; " +
                          "without it each image's class is drawn uniformly from the seed",
        };
        var classes = new Option<string?>("--classes") { Description = "Comma-separated classes to sample, ImageNet names or numbers (default: every class of the model)" };
        var shard = new Option<string>("--shard")
        {
            Description = "k/n: make only the images with index mod n == k (0 <= k < n), e.g. one shard per machine or GPU; " +
                          "auto: this task's of a Slurm job array or a Kubernetes Indexed Job (docs/cluster.md)",
            DefaultValueFactory = _ => "0/1",
        };
        var shardCount = new Option<int?>("--shard-count") { Description = "With --shard auto in a Kubernetes Indexed Job: the number of shards (its completions)" };
        var batch = new Option<int>("--batch") { Description = "Images generated together", DefaultValueFactory = _ => 32 };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs and samples.npz (created if missing)", DefaultValueFactory = _ => "out/samples" };

        var command = new Command("sample", "Generate a numbered evaluation set (PNGs + .npz for FID), resumable and shardable");
        foreach (Option o in new Option[] { num, perClass, classes, shard, shardCount })
            command.Options.Add(o);
        models.AddTo(command, transformer: true, tokenizer: true);
        sampling.AddTo(command);
        command.Options.Add(batch);
        command.Options.Add(output);

        command.SetAction(async (parsed, cancel) =>
        {
            // System.CommandLine installs its Ctrl-C handler only once the action first yields
            await Task.Yield();
            int count = parsed.GetValue(num);
            if (count < 1 || count > MaxImages)
                throw new InvalidInputException($"--num {count}: must be between 1 and {MaxImages}");
            SampleShard ours = SampleShard.Read(parsed.GetValue(shard)!, parsed.GetValue(shardCount), Environment.GetEnvironmentVariable);
            int batchSize = parsed.GetValue(batch);
            if (batchSize < 1)
                throw new InvalidInputException($"--batch {batchSize}: must be at least 1");

            ModelChoice choice = await models.ResolveAsync(parsed, transformer: true, tokenizer: true, cancel);
            GenerationOptions options = sampling.Read(parsed, choice);
            int[] labels = parsed.GetValue(classes) is { } list
                ? ClassList.Parse(list)
                : Enumerable.Range(0, choice.Arpg.NumClasses).ToArray();
            TokenChecks.RequireClasses(choice.Arpg, labels);
            SampleClasses classOf = parsed.GetValue(perClass)
                ? SampleClasses.Balanced(labels, count)
                : SampleClasses.Uniform(labels, options.Sampling.Seed);
            JsonObject settings = Settings(choice, options, count, classOf);
            var folder = new SampleFolder(OutputFolder.Prepare(parsed.GetValue(output)!), count,
                choice.Arpg.GridSize * choice.Vq.DownsampleFactor);
            folder.RequireSameSettings(settings);

            int[] mine = Enumerable.Range(0, count).Where(i => i % ours.Count == ours.Index).ToArray();
            RunOutputs.Check([("--out", folder.NpzPath)]);
            folder.RemoveStaleTemporaries(mine);
            int[] todo = mine.Where(i => !folder.IsComplete(i)).ToArray();
            Console.Error.WriteLine($"shard {ours.Index}/{ours.Count} ({ours.Source}): {mine.Length} of {count} images, " +
                                    $"{mine.Length - todo.Length} already in {folder.Path}, {todo.Length} to make");
            using ProgressDisplay display = ProgressDisplay.OnStderr();
            if (todo.Length > 0)
            {
                using DeviceGroup devices = DeviceGroup.Open(models, parsed, choice, pictures: true);
                ImageRecord record = ResolvedSampling.Record(choice, options);
                var clock = Stopwatch.StartNew();
                using (ProgressBar overall = display.Start("sample", todo.Length, "images"))
                {
                    for (int start = 0; start < todo.Length; start += batchSize)
                    {
                        cancel.ThrowIfCancellationRequested();
                        int[] indices = todo[start..Math.Min(todo.Length, start + batchSize)];
                        GeneratedImage[] images = devices.Generate(indices.Select(classOf.Of).ToArray(), indices, options, display, cancel);
                        folder.RecordSettings(settings);
                        PngBatch.WriteAll(images.Select((image, i) => (folder.ImagePath(indices[i]), image.Picture!,
                            (record with { Class = classOf.Of(indices[i]), Index = indices[i] }).ToPngText())));
                        overall.Report(start + indices.Length);
                    }
                }
                Console.Error.WriteLine($"{todo.Length} image(s) in {clock.Elapsed.TotalSeconds:F1} s");
            }

            int present = folder.CountPresent();
            if (present < count)
                Console.Error.WriteLine($"{present} of {count} images present: {SampleFolder.NpzName} is written by the run that finds all of them");
            else if (File.Exists(folder.NpzPath))
                Console.Error.WriteLine($"all {count} images present; {folder.NpzPath} exists");
            else
            {
                folder.WriteNpz(display, cancel);
                Console.Error.WriteLine($"all {count} images present; wrote {folder.NpzPath}");
            }
            return CommandRunner.Ok;
        });
        return command;
    }

    /// <summary>
    /// Everything an image depends on besides its index: the models, precision, sampling settings,
    /// the size of the set and the class rule (not the batch, shard or device, which change nothing).
    /// </summary>
    private static JsonObject Settings(ModelChoice choice, GenerationOptions options, int count, SampleClasses classOf)
    {
        var settings = new JsonObject
        {
            ["arpg"] = JsonSerializer.SerializeToNode(choice.Arpg),
            ["arpg_weights"] = choice.Random ? RandomWeights : FileIdentity(choice.ArpgCheckpoint!) + (choice.WeightsKey is { } key ? $", key '{key}'" : ""),
            ["vq"] = JsonSerializer.SerializeToNode(choice.Vq),
            ["vq_weights"] = choice.Random ? RandomWeights : FileIdentity(choice.VqCheckpoint!),
            ["precision"] = choice.Precision.ToString().ToLowerInvariant(),
            ["num"] = count,
            ["classes"] = classOf.ToString(),
        };
        foreach ((string name, JsonNode? value) in ImageRecord.SettingsJson(options))
            settings[name] = value?.DeepClone();
        return settings;
    }

    private static string RandomWeights => $"{TinyRandom.Name} (random, seed {TinyRandom.WeightSeed})";

    /// <summary>A checkpoint named by file name and size (a moved copy of the same file still matches).</summary>
    private static string FileIdentity(string file) => $"{Path.GetFileName(file)} ({new FileInfo(file).Length} bytes)";
}
