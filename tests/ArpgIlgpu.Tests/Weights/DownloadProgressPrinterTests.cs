using System.Text.RegularExpressions;
using ArpgIlgpu.Weights;
using Xunit;

namespace ArpgIlgpu.Tests.Weights;

public sealed class DownloadProgressPrinterTests
{
    [Fact]
    public void Progress_is_throttled_but_the_first_last_and_every_resume_are_printed()
    {
        var output = new StringWriter();
        var printer = new DownloadProgressPrinter(output, redrawInPlace: false, interval: TimeSpan.FromHours(1));

        printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 1024, 4096));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 2048, 4096));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Resuming, 2048, null, "the connection dropped"));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 3072, 4096));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 4096, 4096));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Verifying, 4096, 4096));

        // The transfer rate appears only after half a second, which a slow machine may reach.
        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Replace(l, @", [^,]+/s$", "")).ToArray();
        Assert.Equal(
        [
            "f.pt: 1.0 KiB of 4.0 KiB (25%)",
            "f.pt: the connection dropped; resuming at 2.0 KiB",
            "f.pt: 3.0 KiB of 4.0 KiB (75%)",
            "f.pt: 4.0 KiB of 4.0 KiB (100%)",
            "f.pt: computing sha256 of 4.0 KiB",
        ], lines);
    }

    [Fact]
    public void On_a_terminal_progress_redraws_one_line()
    {
        var output = new StringWriter();
        var printer = new DownloadProgressPrinter(output, redrawInPlace: true, interval: TimeSpan.Zero);

        printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 1024, null));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 2048, null));
        printer.Report(new DownloadProgress("f.pt", DownloadStage.Verifying, 2048, 2048));

        string text = output.ToString();
        Assert.StartsWith("\rf.pt: 1.0 KiB", text);
        Assert.Contains("\rf.pt: 2.0 KiB", text);
        Assert.EndsWith($"{Environment.NewLine}f.pt: computing sha256 of 2.0 KiB{Environment.NewLine}", text);
        Assert.Equal(2, text.Split(Environment.NewLine).Length - 1);
    }

    [Fact]
    public void Disposing_ends_a_redrawn_line()
    {
        var output = new StringWriter();
        using (var printer = new DownloadProgressPrinter(output, redrawInPlace: true))
            printer.Report(new DownloadProgress("f.pt", DownloadStage.Receiving, 1024, null));

        Assert.EndsWith(Environment.NewLine, output.ToString());
    }
}
