using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using System.CommandLine;

namespace ArpgIlgpu.Cli;

/// <summary>One generated image: its tokens (grid order) and, when a tokenizer is loaded, its picture.</summary>
internal sealed record GeneratedImage(int[] Tokens, RgbImage? Picture);

/// <summary>
/// The models of generate and sample, loaded once on each --device. A batch is cut into
/// contiguous chunks by image index, one per device (<see cref="DeviceSplit"/>); each device
/// generates and decodes its chunk on its own thread, and the images come back in index order.
/// An image's tokens depend only on the seed, its index and the settings, so how the batch is
/// split changes nothing.
/// </summary>
internal sealed class DeviceGroup : IDisposable
{
    private readonly List<Member> members;

    private DeviceGroup(List<Member> members) => this.members = members;

    /// <summary>Opens the devices of --device and loads the transformer (and, for pictures, the tokenizer) on each.</summary>
    public static DeviceGroup Open(ModelOptions models, ParseResult parsed, ModelChoice choice, bool pictures)
    {
        List<Member> members = models.OpenDevices(parsed).Select((d, i) => new Member(d, i)).ToList();
        try
        {
            foreach (Member member in members)
            {
                member.Transformer = GenerateCommand.LoadTransformer(member.Device, choice);
                if (pictures)
                    member.Tokenizer = GenerateCommand.LoadTokenizer(member.Device, choice);
            }
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
            int[][] tokens;
            using (var steps = new StepProgress(display, label, options.Steps, member.Generated ? null : member.Device.Name))
                tokens = new ParallelDecoder(member.Transformer!) { Observer = observer }.Generate(classes.Skip(start).Take(count).ToArray(),
                    options, chunkIndices, steps, token);
            member.Generated = true;
            token.ThrowIfCancellationRequested();
            RgbImage[]? pictures = member.Tokenizer is { } tokenizer ? PictureDecoding.Decode(display, label, tokenizer, tokens) : null;
            return tokens.Select((t, i) => new GeneratedImage(t, pictures?[i])).ToArray();
        }, cancel);

    /// <summary>The first device's tokenizer, that device bound to this thread (--explain's frames).</summary>
    public VqModel FirstTokenizer()
    {
        members[0].Device.Accelerator.Bind();
        return members[0].Tokenizer ?? throw new InvalidOperationException("no tokenizer was loaded");
    }

    /// <inheritdoc />
    public void Dispose() => members.ForEach(m => m.Dispose());

    /// <summary>One device (its position in the --device list) and the models loaded on it.</summary>
    private sealed class Member(ComputeDevice device, int position) : IDisposable
    {
        public ComputeDevice Device => device;
        public int Position => position;
        public ArpgTransformer? Transformer { get; set; }
        public VqModel? Tokenizer { get; set; }
        /// <summary>True once it has generated: its kernels are compiled.</summary>
        public bool Generated { get; set; }

        public void Dispose()
        {
            Tokenizer?.Dispose();
            Transformer?.Dispose();
            device.Dispose();
        }
    }
}
