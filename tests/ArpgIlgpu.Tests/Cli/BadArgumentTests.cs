using ArpgIlgpu.Imaging;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>
/// Every command and option with invalid values: exit code 2, one error line on stderr that names
/// the option or input, and nothing written.
/// </summary>
public class BadArgumentTests
{
    private static string Tiny(string suffix) => Fixtures.PathOf("tiny", suffix);

    /// <summary>A generate run on the tiny fixture (tokens only) with some arguments replaced or added.</summary>
    private static string[] Generate(params string[] extra) => With(
    [
        "generate", "--config", Tiny("json"), "--classes", "3,7", "--steps", "8", "--device", "cpu",
        "--save-tokens", "{out}/t.json", "--arpg-checkpoint", Tiny("arpg.pt"),
    ], extra);

    /// <summary>A balanced sample run of 20 images on the tiny fixture with some arguments replaced or added.</summary>
    private static string[] Sample(params string[] extra) => With(
    [
        "sample", "--per-class", "--num", "20", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"),
        "--vq-checkpoint", Tiny("vq.pt"), "--steps", "2", "--device", "cpu", "--out", "{out}/samples",
    ], extra);

    /// <summary>
    /// The command line with the options in <paramref name="extra"/> replacing their defaults: an
    /// option given twice would fail in the parser, before the check a row means to test.
    /// </summary>
    private static string[] With(string[] defaults, string[] extra)
    {
        var args = new List<string> { defaults[0] };
        for (int i = 1; i < defaults.Length; i++)
        {
            bool takesValue = i + 1 < defaults.Length && !defaults[i + 1].StartsWith("--", StringComparison.Ordinal);
            if (!extra.Contains(defaults[i]))
                args.AddRange(takesValue ? [defaults[i], defaults[i + 1]] : [defaults[i]]);
            if (takesValue)
                i++;
        }
        return [.. args, .. extra];
    }

    private static object[] Case(string named, params string[] args) => [named, args];

    /// <summary>An edit of the 128x128 test image with the tiny fixture, with some arguments replaced or added.</summary>
    private static string[] Edit(string command, params string[] extra) => With(
    [
        command, "{out}/image128.png", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"),
        "--vq-checkpoint", Tiny("vq.pt"), "--steps", "2", "--device", "cpu", "--out", "{out}/edited", "--class", "3",
        .. command == "inpaint" ? ["--mask", "{out}/mask128.png"] : Array.Empty<string>(),
    ], extra);

    public static IEnumerable<object[]> Cases() =>
    [
        // generate: sampling and model options
        Case("--classes", Generate("--classes", "3,10")),
        Case("--classes", Generate("--classes", "-1")),
        Case("--classes", Generate("--classes", "three")),
        Case("--steps", Generate("--steps", "0")),
        Case("--steps", Generate("--steps", "65")),
        Case("--steps", Generate("--steps", "many")),
        Case("--cfg", Generate("--cfg", "NaN")),
        Case("--cfg", Generate("--cfg", "-1")),
        Case("--cfg-schedule", Generate("--cfg-schedule", "cubic")),
        Case("--schedule", Generate("--schedule", "linear")),
        Case("--temperature", Generate("--temperature", "-1")),
        Case("--temperature", Generate("--temperature", "NaN")),
        Case("--temperature", Generate("--temperature", "1e39")),
        Case("--top-k", Generate("--top-k", "-1")),
        Case("--top-k", Generate("--top-k", "99999999999")),
        Case("--top-p", Generate("--top-p", "0")),
        Case("--top-p", Generate("--top-p", "1.5")),
        Case("--top-p", Generate("--top-p", "NaN")),
        Case("--order", Generate("--order", "sideways")),
        Case("--order", Generate("--order", "{out}/order-not-permutation.json")),
        Case("--seed", Generate("--seed", "-1")),
        Case("--batch", Generate("--batch", "-3")),
        Case("--device", Generate("--device", "tpu")),
        Case("--device", Generate("--device", "cuda:7")),
        Case("--arpg-checkpoint", Generate("--arpg-checkpoint", "{out}/missing.pt")),
        Case("embeddings.weight: expected [77, 64], found [79, 64]", Generate("--arpg-checkpoint", Fixtures.PathOf("tiny-fp16", "arpg.pt"))), // config disagrees with checkpoint
        Case("--config", Generate("--config", "{out}/missing.json")),
        Case("--model", "generate", "--model", "ARPG-M", "--classes", "1", "--out", "{out}/images"),
        Case("--device", Generate("--device", "cpu,,cpu")),
        Case("--device", Generate("--device", "cpu,auto")),
        // sample
        Case("--num", Sample("--num", "0")),
        Case("--num", Sample("--num", "-5")),
        Case("--num", Sample("--num", "25")), // --per-class with 10 classes
        Case("--num", Sample("--num", "2000000")),
        Case("--shard", Sample("--shard", "2/2")),
        Case("--shard", Sample("--shard", "x")),
        Case("--shard", Sample("--shard", "1/0")),
        Case("--batch", Sample("--batch", "0")),
        Case("--classes", Sample("--classes", "3,10")),
        Case("--device", Sample("--device", "cpu,tpu")),
        Case("--out", Sample("--out", "/proc/arpg-cannot-write")),
        Case("seed: 3 there, 0 now", Sample("--out", "{out}/previous")),
        Case("--out", "generate", "--model", "tiny-random", "--classes", "1", "--steps", "2", "--out", "/proc/arpg-cannot-write"),
        // bench, inspect, convert
        Case("--batch", "bench", "--model", "tiny-random", "--random-weights", "--batch", "0", "--device", "cpu"),
        Case("--steps", "bench", "--model", "tiny-random", "--random-weights", "--steps", "999", "--device", "cpu"),
        Case("--precision", "bench", "--model", "tiny-random", "--random-weights", "--precision", "fp8"),
        Case("--memory-only", "bench", "--model", "tiny-random", "--random-weights", "--memory-only", "--vq", "--device", "cpu"),
        Case("missing.pt", "inspect", "{out}/missing.pt"),
        Case("--dtype", "convert", Tiny("arpg.pt"), "{out}/x.safetensors", "--dtype", "int4"),
        Case("ARPG-M", "download", "ARPG-M"),
        // decode
        Case("--tokens", "decode", "--tokens", "{out}/missing.json", "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--out", "{out}/images"),
        Case("outside the codebook", "decode", "--tokens", "{out}/tokens-out-of-range.json", "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--out", "{out}/images"),
        Case("not a square", "decode", "--tokens", "{out}/tokens-wrong-length.json", "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--out", "{out}/images"),
        Case("--vq-checkpoint", "decode", "--tokens", "{out}/tokens-out-of-range.json", "--config", Tiny("json"), "--out", "{out}/images"),
        Case("--device", "decode", "--tokens", "{out}/tokens-64.json", "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--device", "cpu,cpu", "--out", "{out}/images"),
        // encode
        Case("empty.png", "encode", "{out}/empty.png", "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--save-tokens", "{out}/e.json"),
        Case("--crop", "encode", "{out}/empty.png", "--crop", "--resize", "--config", Tiny("json"), "--vq-checkpoint", Tiny("vq.pt"), "--save-tokens", "{out}/e.json"),
        // inpaint, outpaint, expand
        Case("--mask", Edit("inpaint", "--mask", "{out}/mask64.png")),
        Case("--right", Edit("outpaint", "--right", "10")),
        Case("--left", Edit("outpaint", "--left", "-16")),
        Case("--scale", Edit("expand", "--scale", "0")),
        Case("--class", Edit("expand", "--class", "10")),
        Case("--class", ["expand", "{out}/image128.png", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--vq-checkpoint", Tiny("vq.pt")]),
        // score
        Case("--tokens", "score", "--tokens", "{out}/tokens-wrong-length.json", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--device", "cpu"),
        Case("--orders", "score", "--tokens", "{out}/tokens-64.json", "--orders", "{out}/order-not-permutation.json", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--device", "cpu"),
        Case("classes", "score", "--tokens", "{out}/tokens-out-of-range.json", "--config", Tiny("json"), "--arpg-checkpoint", Tiny("arpg.pt"), "--device", "cpu"),
    ];

    [Theory, MemberData(nameof(Cases))]
    public void ExitsWithTwoAndOneLineNamingTheProblem(string named, string[] template)
    {
        using var dir = new TempDirectory();
        WriteInputs(dir);
        string[] inputs = dir.Files();
        string[] args = template.Select(a => a.Replace("{out}", dir.Path)).ToArray();

        CliResult result = CliInvocation.Run(args);

        Assert.Equal(2, result.ExitCode);
        string[] errors = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("error", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length >= 1, $"no error line in: {result.Error}");
        Assert.Contains(named, string.Join("\n", errors));
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
        Assert.Equal(inputs, dir.Files()); // nothing written
    }

    private static void WriteInputs(TempDirectory dir)
    {
        File.WriteAllText(dir.File("order-not-permutation.json"), "[[" + string.Join(",", Enumerable.Repeat(0, 64)) + "]]");
        File.WriteAllText(dir.File("tokens-out-of-range.json"), "{\"tokens\": [[" + string.Join(",", Enumerable.Repeat(99, 64)) + "]]}");
        File.WriteAllText(dir.File("tokens-wrong-length.json"), "{\"classes\": [1], \"tokens\": [[1, 2, 3]]}");
        File.WriteAllText(dir.File("tokens-64.json"), "{\"classes\": [1], \"tokens\": [[" + string.Join(",", Enumerable.Repeat(5, 64)) + "]]}");
        File.WriteAllBytes(dir.File("empty.png"), []);
        PngFile.Write(dir.File("image128.png"), new RgbImage(128, 128, new byte[128 * 128 * 3]));
        PngFile.Write(dir.File("mask128.png"), new RgbImage(128, 128, new byte[128 * 128 * 3]));
        PngFile.Write(dir.File("mask64.png"), new RgbImage(64, 64, new byte[64 * 64 * 3]));
        Directory.CreateDirectory(dir.File("previous"));
        File.WriteAllText(dir.File(Path.Combine("previous", "sample.json")), "{\"seed\": 3}");
    }
}
