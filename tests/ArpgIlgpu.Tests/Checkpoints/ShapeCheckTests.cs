using ArpgIlgpu.Checkpoints;
using Xunit;

namespace ArpgIlgpu.Tests.Checkpoints;

/// <summary>
/// ShapeCheck reports the first mismatch with both shapes, then missing tensors, then the hint; tensors
/// the model does not use are skipped (known buffers silently, the rest named in IgnoredNames).
/// </summary>
public class ShapeCheckTests
{
    private static StateDict Checkpoint(params (string Name, long[] Shape)[] tensors) => StateDict.Open(new TorchCheckpointBuilder
    {
        Tensors = tensors.Select(t => BuiltTensor.Float32(t.Name, new float[t.Shape.Aggregate(1L, (a, b) => a * b)], t.Shape)).ToList(),
    }.ToArray(), "model.pt");

    [Fact]
    public void MatchingCheckpointPasses()
    {
        using var sd = Checkpoint(("a", [2, 3]), ("b", [4]));
        ShapeCheck.Verify(sd, new Dictionary<string, int[]> { ["a"] = [2, 3], ["b"] = [4] }, _ => false, "hint");
    }

    [Fact]
    public void FirstMismatchIsReportedWithBothShapesAndTheHint()
    {
        using var sd = Checkpoint(("layers.0.to_q.weight", [64, 64]), ("layers.1.to_q.weight", [64, 64]));
        var expected = new Dictionary<string, int[]> { ["layers.0.to_q.weight"] = [1024, 1024], ["layers.1.to_q.weight"] = [1024, 1024] };
        var e = Assert.Throws<InvalidInputException>(() => ShapeCheck.Verify(sd, expected, _ => false, "is --model right?"));
        Assert.Equal("model.pt: layers.0.to_q.weight: expected [1024, 1024], found [64, 64]; is --model right?", e.Message);
    }

    [Fact]
    public void MissingTensorsAreListedAndCapped()
    {
        using var sd = Checkpoint(("a", [1]), ("extra.0", [1]));
        var expected = Enumerable.Range(0, 8).ToDictionary(i => $"missing.{i}", _ => new[] { 1 });
        expected["a"] = [1];
        var e = Assert.Throws<InvalidInputException>(() => ShapeCheck.Verify(sd, expected, _ => false, hint: "hint"));
        Assert.Equal("model.pt: 8 missing: missing.0, missing.1, missing.2, missing.3, missing.4, ... (3 more); hint", e.Message);
    }

    [Fact]
    public void UnexpectedTensorsAreIgnoredAndNamedExceptKnownBuffersAndExcusedOnes()
    {
        using var sd = Checkpoint(("a", [1]), ("extra.0", [1]), ("freqs_cis", [4, 2]), ("layers.causal_mask", [3, 3]),
            ("layers.self_dec.0.attn.k_cache", [2]), ("extra.1", [1]), ("ema.x", [1]));
        ShapeCheck.Verify(sd, new Dictionary<string, int[]> { ["a"] = [1] }, ignoreUnexpected: n => n.StartsWith("ema."), hint: "hint");
        Assert.Equal(["extra.0", "extra.1"], sd.IgnoredNames);
    }

    [Fact]
    public void ListedNamesStopAtFiveThenCount()
    {
        Assert.Equal("n0, n1, n2, n3, n4, ... (2 more)", ShapeCheck.Listed(Enumerable.Range(0, 7).Select(i => $"n{i}").ToList()));
        Assert.Equal("n0", ShapeCheck.Listed(["n0"]));
    }
}
