using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ArpgIlgpu.Generation;

/// <summary>One finished decoding step of <see cref="ImagePipeline.GenerateSteps"/>.</summary>
/// <param name="Step">The step, from 0.</param>
/// <param name="Steps">Steps in the run.</param>
/// <param name="Positions">[m]: the grid positions filled at this step (the same for every image).</param>
/// <param name="Tokens">[images][m]: each image's tokens at those positions.</param>
/// <param name="Canvas">[images][L]: each image's tokens so far in grid order, -1 where none is known yet.</param>
public sealed record GenerationStep(int Step, int Steps, IReadOnlyList<int> Positions, IReadOnlyList<int[]> Tokens,
    IReadOnlyList<int[]> Canvas);

public sealed partial class ImagePipeline
{
    /// <summary>
    /// Generates one token grid per class, as <see cref="GenerateTokens"/> does (the same tokens),
    /// and streams each step as it finishes, so that an application can show progress or a
    /// preview (decode a step's <see cref="GenerationStep.Canvas"/> with the unknown cells set to
    /// any code). The decoder runs on a worker thread; leaving the loop early, or
    /// <paramref name="cancel"/>, stops it after the current step.
    /// </summary>
    public async IAsyncEnumerable<GenerationStep> GenerateSteps(IReadOnlyList<int> classes, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        int length = Transformer.Config.BlockSize;
        int[][] canvas = classes.Select(_ => Enumerable.Repeat(-1, length).ToArray()).ToArray();
        var steps = Channel.CreateUnbounded<GenerationStep>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var observer = new StepObserver(step =>
        {
            for (int b = 0; b < canvas.Length; b++)
                for (int i = 0; i < step.Positions.Length; i++)
                    canvas[b][step.Positions[i]] = step.Tokens[b][i];
            steps.Writer.TryWrite(new GenerationStep(step.Step, step.Steps, step.Positions, step.Tokens,
                canvas.Select(c => (int[])c.Clone()).ToArray()));
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var decoder = new ParallelDecoder(Transformer) { Observer = observer };
        Task run = Task.Run(() =>
        {
            try
            {
                // ILGPU keeps a current accelerator per thread (CUDA: the current context)
                Transformer.Device.Accelerator.Bind();
                decoder.Generate(classes, options, cancel: stop.Token);
            }
            finally
            {
                steps.Writer.Complete();
            }
        }, CancellationToken.None);
        bool finished = false;
        try
        {
            await foreach (GenerationStep step in steps.Reader.ReadAllAsync(CancellationToken.None))
                yield return step;
            await run; // the decoder's exception, if it failed
            finished = true;
        }
        finally
        {
            if (!finished)
            {
                stop.Cancel();
                try
                {
                    await run;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
