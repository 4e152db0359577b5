using System.Text.RegularExpressions;
using Xunit;

namespace ArpgIlgpu.Tests.Explain;

/// <summary>
/// docs/walkthrough.md stays true: every link resolves to a file, every `Type.Member` it links
/// is declared in that file, and every C# excerpt is quoted from the file linked last before it.
/// </summary>
public partial class WalkthroughTests
{
    private static readonly string Docs = Path.Combine(Fixtures.RepoRoot, "docs");
    private static readonly string Text = File.ReadAllText(Path.Combine(Docs, "walkthrough.md"));

    [GeneratedRegex(@"\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [Fact]
    public void EveryLinkResolvesAndEveryLinkedMemberIsDeclaredThere()
    {
        MatchCollection links = Link().Matches(Text);
        Assert.True(links.Count > 20, $"only {links.Count} links");
        foreach (Match link in links)
        {
            string target = link.Groups["target"].Value;
            Assert.False(target.StartsWith("http", StringComparison.Ordinal), $"{target}: the walkthrough links files of the repository only");
            string path = Path.GetFullPath(Path.Combine(Docs, target.Split('#')[0]));
            Assert.True(File.Exists(path), $"{target}: no such file");
            string text = link.Groups["text"].Value;
            if (!text.StartsWith('`'))
                continue;
            string source = File.ReadAllText(path);
            foreach (string name in text.Trim('`').Split('.'))
                Assert.True(Regex.IsMatch(source, $@"(class|record|struct|interface|enum)\s+{name}\b|\s{name}(<[^>]*>)?\(")
                            && Regex.IsMatch(source, $@"(class|record|struct|interface|enum|void|\]|>|\w)\s+{name}\b"),
                    $"{text}: {name} is not declared in {target}");
        }
    }

    [Fact]
    public void EveryExcerptIsQuotedFromTheFileLinkedBeforeIt()
    {
        MatchCollection blocks = CSharpBlock().Matches(Text);
        Assert.True(blocks.Count >= 8, $"only {blocks.Count} excerpts");
        foreach (Match block in blocks)
        {
            Match link = Link().Matches(Text[..block.Index]).Last(l => l.Groups["target"].Value.EndsWith(".cs", StringComparison.Ordinal));
            string source = File.ReadAllText(Path.Combine(Docs, link.Groups["target"].Value));
            foreach (string line in block.Groups["code"].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
                Assert.True(source.Contains(line, StringComparison.Ordinal), $"not in {link.Groups["target"].Value}: {line}");
        }
    }

    [Fact]
    public void ThePicturesAreCommittedAndSmall()
    {
        string[] pictures = Directory.GetFiles(Path.Combine(Docs, "walkthrough"), "*", SearchOption.AllDirectories);
        foreach (string name in new[] { "steps.gif", "order.png", "confidence.png" })
            foreach (string run in new[] { "tiny", "tiny-random", "inpaint" })
                Assert.Contains(Path.Combine(Docs, "walkthrough", run, name), pictures);
        Assert.True(pictures.Sum(p => new FileInfo(p).Length) < 1 << 20, "the walkthrough's pictures exceed 1 MiB");
    }
}
