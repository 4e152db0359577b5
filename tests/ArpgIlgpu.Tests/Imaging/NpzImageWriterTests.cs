using System.Text;
using ArpgIlgpu.Imaging;
using Xunit;

namespace ArpgIlgpu.Tests.Imaging;

/// <summary>
/// The .npz writer against an independent reader (.NET's ZipArchive, a bitwise CRC and our own
/// NPY header parser), and the byte layout numpy.savez produces.
/// </summary>
public class NpzImageWriterTests
{
    private static RgbImage RandomImage(Random rng, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        rng.NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(20, 16, 16)]
    public void ReadsBackAsArr0OfShapeNHW3WithThePixelsInOrder(int count, int height, int width)
    {
        using var dir = new TempDirectory();
        var rng = new Random(count * 100 + height);
        RgbImage[] images = Enumerable.Range(0, count).Select(_ => RandomImage(rng, width, height)).ToArray();

        using (var npz = new NpzImageWriter(dir.File("a.npz"), count, height, width))
        {
            foreach (RgbImage image in images)
                npz.Append(image);
            npz.Commit();
        }

        NpyArray array = NpzReader.Read(dir.File("a.npz"));
        Assert.Equal([count, height, width, 3], array.Shape);
        Assert.Equal(images.SelectMany(i => i.Pixels).ToArray(), array.Data);
        Assert.Equal(["a.npz"], dir.Files()); // no temporary file left
    }

    [Fact]
    public void HeaderIsNumpysDictPaddedWithSpacesToSixtyFourBytes()
    {
        byte[] header = NpzImageWriter.NpyHeader(50000, 256, 256);

        Assert.Equal(128, header.Length);
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0], header[..10]);
        string text = Encoding.ASCII.GetString(header, 10, header.Length - 10);
        Assert.Equal("{'descr': '|u1', 'fortran_order': False, 'shape': (50000, 256, 256, 3), }", text.TrimEnd(' ', '\n'));
        Assert.EndsWith(" \n", text);
    }

    [Fact]
    public void AnUncommittedArchiveLeavesNothing()
    {
        using var dir = new TempDirectory();
        using (var npz = new NpzImageWriter(dir.File("a.npz"), 2, 4, 4))
            npz.Append(RandomImage(new Random(1), 4, 4));

        Assert.Empty(dir.Files());
    }

    [Fact]
    public void RefusesAnImageOfAnotherSizeAndAnEarlyCommit()
    {
        using var dir = new TempDirectory();
        using var npz = new NpzImageWriter(dir.File("a.npz"), 2, 4, 4);

        var wrongSize = Assert.Throws<InvalidInputException>(() => npz.Append(RandomImage(new Random(1), 5, 4)));
        Assert.Contains("5x4", wrongSize.Message);
        npz.Append(RandomImage(new Random(2), 4, 4));
        Assert.Throws<InvalidOperationException>(npz.Commit); // 1 of 2 images
    }

    [Fact]
    public void MemberSizesAreInZip64FieldsSoArchivesAboveFourGibibytesNeedNoOtherPath()
    {
        // 50 000 ImageNet samples: 9.8 GB of pixels. The archive's fixed-size parts are checked
        // here; writing 9.8 GB in a test is not.
        using var dir = new TempDirectory();
        using (var npz = new NpzImageWriter(dir.File("a.npz"), 1, 2, 2))
        {
            npz.Append(RandomImage(new Random(3), 2, 2));
            npz.Commit();
        }
        byte[] file = File.ReadAllBytes(dir.File("a.npz"));
        // local header: sizes 0xFFFFFFFF, the real ones (8 bytes each) in the zip64 extra field
        Assert.Equal(0x04034b50u, BitConverter.ToUInt32(file, 0));
        Assert.Equal(uint.MaxValue, BitConverter.ToUInt32(file, 18));
        Assert.Equal(uint.MaxValue, BitConverter.ToUInt32(file, 22));
        Assert.Equal((ushort)0x0001, BitConverter.ToUInt16(file, 30 + 9));
        long memberLength = 128 + 2 * 2 * 3; // the NPY header (10 + 70-character dict + newline, padded to 128), then the pixels
        Assert.Equal(memberLength, BitConverter.ToInt64(file, 30 + 9 + 4));
        // the end: zip64 record, its locator, then the classic record
        int end = file.Length - 22;
        Assert.Equal(0x06054b50u, BitConverter.ToUInt32(file, end));
        Assert.Equal(0x07064b50u, BitConverter.ToUInt32(file, end - 20));
        long zip64Record = BitConverter.ToInt64(file, end - 20 + 8);
        Assert.Equal(0x06064b50u, BitConverter.ToUInt32(file, (int)zip64Record));
    }
}
