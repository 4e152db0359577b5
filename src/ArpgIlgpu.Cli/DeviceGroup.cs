using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>One generated image: its tokens (grid order) and, when a tokenizer is loaded, its picture.</summary>
internal sealed record GeneratedImage(int[] Tokens, RgbImage? Picture);

/// <summary>
/// The pipelines of generate and sample, one on each --device. A batch is cut into
/// contiguous chunks by image index, one per device (<see cref="DeviceSplit"/>); each device
/// generates and decodes its chunk on its own thread, and the images come back in index order.
/// An image's tokens depend only on the seed, its index and the settings, so how the batch is
/// split changes nothing.
/// </summary>
internal sealed class DeviceGroup : IDisposable
{
    private readonly List<Member> members;

    private DeviceGroup(List<Member> members) => this.members = members;

    /// <summary>Opens the devices of --device and loads a pipeline on each: the transformer and, for pictures, the tokenizer.</summary>
    public static DeviceGroup Open(ModelOptions models, ParseResult parsed, ModelChoice choice, bool pictures)
    {
        List<Member> members = models.OpenDevices(parsed).Select((d, i) => new Member(d, i)).ToList();
        try
        {
            foreach (Member member in members)
                member.Pipeline = choice.Open(member.Device, pictures ? PipelineParts.Both : PipelineParts.Transformer);
        }
        catch
        {
            members.ForEach(m => m.Dispose());
            throw;
        }
        if (choice.Random)
            Console.Error.WriteLine($"note: {TinyRandom.Name} has random weights: the pictures are noise");
        return new DeviceGroup(members);
    }

    /// <summary>
    /// Generates the images <paramref name="indices"/> (their indices in the whole request) of the
    /// given classes: tokens, and pictures when a tokenizer is loaded.
    /// </summary>
    public GeneratedImage[] Generate(IReadOnlyList<int> classes, IReadOnlyList<int> indices, GenerationOptions options,
        ProgressDisplay display, CancellationToken cancel, StepObserver? observer = null) =>
        DeviceSplit.Run(members, classes.Count, (member, start, count, token) =>
        {
            // ILGPU keeps a current accelerator per thread (CUDA: the current context)
            member.Device.Accelerator.Bind();
            int[] chunkIndices = indices.Skip(start).Take(count).ToArray();
            string label = (members.Count > 1 ? $"device {member.Position}: " : "") + $"images {chunkIndices[0]}..{chunkIndices[^1]}";
            ImagePipeline pipeline = member.Pipeline!;
            int[][] tokens;
            using (var steps = new StepProgress(display, label, options.Steps, member.Generated ? null : member.Device.Name))
                tokens = pipeline.GenerateTokens(classes.Skip(start).Take(count).ToArray(), options, chunkIndices, steps, token,
                    observer);
            member.Generated = true;
            token.ThrowIfCancellationRequested();
            RgbImage[]? pictures = pipeline.Parts.HasFlag(PipelineParts.Tokenizer)
                ? PictureDecoding.Decode(display, label, pipeline, tokens, token)
                : null;
            return tokens.Select((t, i) => new GeneratedImage(t, pictures?[i])).ToArray();
        }, cancel);

    /// <summary>The first device's tokenizer, that device bound to this thread (--explain's frames).</summary>
    public VqModel FirstTokenizer()
    {
        members[0].Device.Accelerator.Bind();
        return members[0].Pipeline!.Tokenizer;
    }

    /// <inheritdoc />
    public void Dispose() => members.ForEach(m => m.Dispose());

    /// <summary>One device (its position in the --device list) and the pipeline loaded on it.</summary>
    private sealed class Member(ComputeDevice device, int position) : IDisposable
    {
        public ComputeDevice Device => device;
        public int Position => position;
        public ImagePipeline? Pipeline { get; set; }
        /// <summary>True once it has generated: its kernels are compiled.</summary>
        public bool Generated { get; set; }

        public void Dispose()
        {
            Pipeline?.Dispose();
            device.Dispose();
        }
    }
}
