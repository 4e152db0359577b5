using ArpgIlgpu.Runtime;
using ILGPU;
using ILGPU.Runtime;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// Where one <see cref="Ops.ScatterTokens"/> call writes the tokens [Batch, Queries] a step drew.
/// They join each image's canvas [Batch, CanvasLength] at their grid positions; with FeedBack
/// they also become columns Column .. Column+Queries-1 of the next pass-1 inputs
/// [2 * Batch, InputWidth], in both halves of the guided batch.
/// </summary>
public readonly record struct ScatterShape(int Batch, int Queries, int CanvasLength, int InputWidth, int Column, int FeedBack);

/// <summary>Moving a step's sampled tokens to where the next step and the caller read them, on the device.</summary>
internal static class ScatterTokensKernels
{
    /// <summary>
    /// One thread per (image b, query j), with token = tokens[b, j]:
    ///   canvas[b, positions[j]] = token
    ///   inputs[b, Column + j] = inputs[Batch + b, Column + j] = token   (when FeedBack)
    /// tokens: [Batch, Queries]; positions: [Queries]; canvas: [Batch, CanvasLength];
    /// inputs: [2 * Batch, InputWidth] (the conditional rows, then the unconditional ones).
    /// </summary>
    [Kernel]
    public static void Scatter(Index1D index, ArrayView<int> tokens, ArrayView<int> positions, ArrayView<int> canvas,
        ArrayView<int> inputs, ScatterShape s)
    {
        int b = index / s.Queries, j = index % s.Queries;
        int token = tokens[index];
        canvas[(long)b * s.CanvasLength + positions[j]] = token;
        if (s.FeedBack != 0)
        {
            inputs[(long)b * s.InputWidth + s.Column + j] = token;
            inputs[((long)s.Batch + b) * s.InputWidth + s.Column + j] = token;
        }
    }
}

public sealed partial class Ops
{
    private Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ScatterShape>? scatterTokens;

    /// <summary>
    /// Writes a step's tokens into the canvases and (with FeedBack) into the next pass-1 inputs of
    /// both halves of the guided batch, without a trip to the host (see <see cref="ScatterShape"/>).
    /// positions are not checked on the host (they never leave the device); each must be in 0 .. CanvasLength-1.
    /// </summary>
    public void ScatterTokens(ArrayView<int> tokens, ArrayView<int> positions, ArrayView<int> canvas, ArrayView<int> inputs,
        ScatterShape shape)
    {
        int count = shape.Batch * shape.Queries;
        if (count == 0)
            return;
        Require(tokens, count, "ScatterTokens tokens");
        Require(positions, shape.Queries, "ScatterTokens positions");
        Require(canvas, (long)shape.Batch * shape.CanvasLength, "ScatterTokens canvas");
        if (shape.FeedBack != 0)
        {
            if (shape.Column < 0 || shape.Column + shape.Queries > shape.InputWidth)
                throw new ArgumentException($"ScatterTokens: columns {shape.Column} .. {shape.Column + shape.Queries - 1} of inputs {shape.InputWidth} wide");
            Require(inputs, 2L * shape.Batch * shape.InputWidth, "ScatterTokens inputs");
        }
        scatterTokens ??= Accelerator.LoadImplicitlyGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, ScatterShape>(ScatterTokensKernels.Scatter, ImplicitGroupSize);
        scatterTokens(count, tokens, positions, canvas, inputs, shape);
    }
}
