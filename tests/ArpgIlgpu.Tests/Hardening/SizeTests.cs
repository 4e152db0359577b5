using System.Text.Json;
using System.Text.Json.Nodes;
using ArpgIlgpu.Generation;
using ArpgIlgpu.Imaging;
using ArpgIlgpu.Models;
using ArpgIlgpu.Runtime;
using Xunit;

namespace ArpgIlgpu.Tests.Hardening;

/// <summary>
/// Sizes from a user (config fields, edit margins and scales) are refused in one line before
/// anything is allocated or run; no overflow, range or negative-dimension exception escapes.
/// </summary>
public sealed class SizeTests
{
    /// <summary>Values that break naive int arithmetic, and ordinary ones.</summary>
    private static readonly long[] Hostile =
        [0, -1, 1, 2, 3, 4, 16, 64, 255, 256, 1000, 4096, 65535, 65536, 1 << 20, (1 << 24) + 1, 1L << 30, int.MaxValue - 1, int.MaxValue, int.MinValue];

    private static readonly string[] ArpgFields = ["dim", "n_layer", "n_head", "vocab_size", "num_classes", "block_size", "multiple_of", "cls_token_num"];
    private static readonly string[] VqFields = ["codebook_size", "codebook_embed_dim", "ch", "z_channels", "num_res_blocks"];

    /// <summary>
    /// 1500 configs: the tiny fixture's with one to three fields set to hostile values. Each is
    /// refused by the reader in one line, or else its model is sized (parameters counted in
    /// checked arithmetic) and made on a device of 32 MiB: made, or refused before allocating.
    /// </summary>
    [Fact]
    public void HostileConfigsAreRefusedOrFitBeforeAnyAllocation()
    {
        JsonObject baseline = JsonNode.Parse(File.ReadAllText(Fixtures.PathOf("tiny", "json")))!.AsObject();
        var random = new Random(2026);
        using var dir = new TempDirectory();
        string path = dir.File("config.json");
        int refusedByReader = 0, refusedForMemory = 0, made = 0;
        using ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        device.LimitMemory(32L << 20);
        for (int trial = 0; trial < 1500; trial++)
        {
            JsonObject config = baseline.DeepClone().AsObject();
            for (int n = random.Next(1, 4); n > 0; n--)
            {
                bool arpg = random.Next(2) == 0;
                string[] fields = arpg ? ArpgFields : VqFields;
                config[arpg ? "arpg" : "vq"]![fields[random.Next(fields.Length)]] = Hostile[random.Next(Hostile.Length)];
            }
            if (random.Next(8) == 0)
                config["vq"]!["ch_mult"] = new JsonArray(Enumerable.Range(0, random.Next(0, 10)).Select(_ => (JsonNode)Hostile[random.Next(Hostile.Length)]).ToArray());
            File.WriteAllText(path, config.ToJsonString());
            ModelConfigFile file;
            try
            {
                file = ModelConfigFile.Read(path);
            }
            catch (InvalidInputException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                refusedByReader++;
                continue;
            }
            Assert.True(file.Arpg!.ParameterCount > 0 && file.Vq!.ParameterCount > 0);
            try
            {
                ArpgTransformer.CreateRandom(device, file.Arpg, 1).Dispose();
                made++;
            }
            catch (InvalidInputException e)
            {
                Assert.Contains("need", e.Message);
                Assert.Equal(0, device.AllocatedBytes); // refused before the first tensor
                refusedForMemory++;
            }
        }
        Assert.True(refusedByReader > 500 && made > 25, $"{refusedByReader} refused by the reader, {refusedForMemory} for memory, {made} made");
    }

    [Fact]
    public void TheLargestAcceptedConfigIsRefusedForMemoryNotByOverflow()
    {
        var config = new ArpgConfig { Dim = 16384, Layers = 1024, Heads = 128, VocabSize = 1 << 20, NumClasses = 1 << 20, BlockSize = 65536 }
            .Validate("test");
        using ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        var e = Assert.Throws<InvalidInputException>(() => ArpgTransformer.CreateRandom(device, config, 1));
        Assert.Contains("transformer's weights", e.Message);
        Assert.Equal(0, device.AllocatedBytes);
    }

    /// <summary>
    /// 200 margins (four sides) and scales from the whole int range: each whose output is too
    /// large is refused before the first window.
    /// </summary>
    [Fact]
    public void EditsTooLargeAreRefusedBeforeTheirFirstWindow()
    {
        using ComputeDevice device = ComputeDevice.Open(new DeviceSpec(DeviceKind.Cpu, 0));
        using ArpgTransformer transformer = ArpgTransformer.CreateRandom(device, TinyRandom.Arpg, 1);
        using VqModel tokenizer = VqModel.CreateRandom(device, TinyRandom.Vq, 1);
        var editor = new ImageEditor(transformer, tokenizer);
        var image = new RgbImage(256, 256, new byte[256 * 256 * 3]);
        var options = new GenerationOptions { Steps = 1 };
        var random = new Random(5);
        int refused = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            int Margin() => random.Next(4) switch
            {
                0 => 0,
                1 => random.Next(0, 64) * 16,
                2 => int.MaxValue / 16 * 16 - random.Next(0, 4) * 16,
                _ => random.Next(1 << 10, 1 << 27) / 16 * 16,
            };
            int left = Margin(), right = Margin(), top = Margin(), bottom = Margin();
            int scale = random.Next(2) == 0 ? int.MaxValue - random.Next(0, 3) : random.Next(ImageLoader.MaxSide / 256 + 1, 1 << 30);
            bool outpaintFits = 256L + left + right <= ImageLoader.MaxSide && 256L + top + bottom <= ImageLoader.MaxSide;
            int windows = 0;
            var progress = new Counter(() => windows++);
            if (!outpaintFits)
            {
                var e = Assert.Throws<InvalidInputException>(() => editor.Outpaint(image, left, right, top, bottom, 1, options, false, progress));
                Assert.Contains("pixels", e.Message);
                refused++;
            }
            Assert.Contains("pixels", Assert.Throws<InvalidInputException>(() => editor.Expand(image, scale, 1, options, progress)).Message);
            refused++;
            Assert.Equal(0, windows);
        }
        Assert.True(refused > 150);
    }

    private sealed class Counter(Action report) : IProgress<WindowedCompletion.Window>
    {
        public void Report(WindowedCompletion.Window value) => report();
    }
}
