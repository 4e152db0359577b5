using System.Globalization;
using System.Text;

namespace ArpgIlgpu.Generation;

/// <summary>
/// The 1000 ImageNet-1k classes by name: the standard synset list (ImageNetClasses.txt, the
/// ILSVRC <c>LOC_synset_mapping.txt</c>: line i is "WordNetId name, synonym, ..." of class i),
/// carried inside the library. Names match case-insensitively and ignore punctuation, '_' and
/// runs of spaces ("Golden_Retriever", "shih tzu"), so a <see cref="ImageNetClass.FileLabel"/>
/// finds its class again.
/// </summary>
public static class ImageNetClasses
{
    /// <summary>The number of classes.</summary>
    public const int Count = 1000;

    /// <summary>How many near names an unknown name's error offers.</summary>
    private const int Suggestions = 3;

    private static readonly Lazy<Table> Data = new(Table.Load);

    /// <summary>Every class, in label order.</summary>
    public static IReadOnlyList<ImageNetClass> All => Data.Value.Classes;

    /// <summary>Class <paramref name="number"/> (0..999).</summary>
    public static ImageNetClass Get(int number) =>
        TryGet(number, out ImageNetClass? c)
            ? c
            : throw new ArgumentOutOfRangeException(nameof(number), number, $"ImageNet classes are 0..{Count - 1}");

    /// <summary>Class <paramref name="number"/>, or false when it is outside 0..999.</summary>
    public static bool TryGet(int number, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImageNetClass? found)
    {
        found = number is >= 0 and < Count ? All[number] : null;
        return found is not null;
    }

    /// <summary>
    /// The class a user means by <paramref name="text"/>: a number (0..999), a WordNet id
    /// (n02099601) or any of a class's names. A name that is the first name of exactly one class
    /// means that class even where it is also another class's synonym ("polecat"); otherwise it
    /// must belong to one class only. Throws <see cref="UnknownClassException"/> with the classes
    /// sharing the name, or the closest names when none has it.
    /// </summary>
    public static ImageNetClass Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Table table = Data.Value;
        string key = Normalize(text);
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            return TryGet(number, out ImageNetClass? numbered)
                ? numbered
                : throw new InvalidInputException($"class {number}: ImageNet classes are 0..{Count - 1}");
        if (table.ByWordNetId.TryGetValue(key, out ImageNetClass? synset))
            return synset;
        if (table.ByFirstName.TryGetValue(key, out List<ImageNetClass>? first) && first.Count == 1)
            return first[0];
        if (table.ByAnyName.TryGetValue(key, out List<ImageNetClass>? named))
            return named.Count == 1 ? named[0] : throw new UnknownClassException(text, ambiguous: true, named);
        throw new UnknownClassException(text, ambiguous: false, Closest(text, Suggestions));
    }

    /// <summary>
    /// The classes with a name containing <paramref name="word"/> (compared as <see cref="Find"/>
    /// compares names; "retriever" gives the five retrievers), or the class of a number, in label order.
    /// </summary>
    public static IReadOnlyList<ImageNetClass> Search(string word)
    {
        string key = Normalize(word);
        if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            return TryGet(number, out ImageNetClass? c) ? [c] : [];
        return All.Where(c => c.WordNetId == key || Data.Value.Keys[c.Number].Any(name => name.Contains(key, StringComparison.Ordinal)))
            .ToArray();
    }

    /// <summary>
    /// The <paramref name="count"/> classes whose names are nearest to <paramref name="name"/>:
    /// first those with a name containing it, then by edit distance (<see cref="EditDistance"/>)
    /// of the nearest of their names.
    /// </summary>
    public static IReadOnlyList<ImageNetClass> Closest(string name, int count)
    {
        string key = Normalize(name);
        return All.Select(c => (Class: c, Rank: Rank(key, Data.Value.Keys[c.Number])))
            .OrderBy(r => r.Rank.Containing).ThenBy(r => r.Rank.Distance).ThenBy(r => r.Class.Number)
            .Take(count).Select(r => r.Class).ToArray();
    }

    /// <summary>
    /// A name as lookups compare it: lower case, apostrophes dropped ("potter's" = "potters"),
    /// every other run of characters that are not letters or digits (spaces, '_', '-', '.') one space.
    /// </summary>
    public static string Normalize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char ch in name.Trim())
        {
            if (char.IsLetterOrDigit(ch))
                text.Append(char.ToLowerInvariant(ch));
            else if (ch != '\'' && text.Length > 0 && text[^1] != ' ')
                text.Append(' ');
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>How near a class's names are to a query: 0 when one contains it, and the smallest edit distance.</summary>
    private static (int Containing, int Distance) Rank(string key, string[] names) =>
        (names.Any(n => n.Contains(key, StringComparison.Ordinal)) ? 0 : 1,
         names.Min(n => EditDistance.Levenshtein(key, n)));

    /// <summary>The parsed list and its lookups, all by normalised name.</summary>
    private sealed class Table
    {
        public required ImageNetClass[] Classes { get; init; }

        /// <summary>Per class, its normalised names.</summary>
        public required string[][] Keys { get; init; }

        public Dictionary<string, ImageNetClass> ByWordNetId { get; } = [];
        public Dictionary<string, List<ImageNetClass>> ByFirstName { get; } = [];
        public Dictionary<string, List<ImageNetClass>> ByAnyName { get; } = [];

        public static Table Load()
        {
            using Stream stream = typeof(ImageNetClasses).Assembly.GetManifestResourceStream("ArpgIlgpu.Generation.ImageNetClasses.txt")
                ?? throw new InvalidOperationException("the ImageNet class list is missing from the library");
            using var reader = new StreamReader(stream);
            var classes = new List<ImageNetClass>(Count);
            while (reader.ReadLine() is string line)
            {
                int space = line.IndexOf(' ');
                classes.Add(new ImageNetClass(classes.Count, line[..space], line[(space + 1)..].Split(", ")));
            }
            if (classes.Count != Count)
                throw new InvalidOperationException($"the ImageNet class list has {classes.Count} lines, expected {Count}");
            var table = new Table { Classes = [.. classes], Keys = classes.Select(c => c.Names.Select(Normalize).ToArray()).ToArray() };
            foreach (ImageNetClass c in classes)
            {
                table.ByWordNetId[c.WordNetId] = c;
                Add(table.ByFirstName, table.Keys[c.Number][0], c);
                foreach (string key in table.Keys[c.Number].Distinct())
                    Add(table.ByAnyName, key, c);
            }
            return table;
        }

        private static void Add(Dictionary<string, List<ImageNetClass>> index, string key, ImageNetClass c)
        {
            if (!index.TryGetValue(key, out List<ImageNetClass>? list))
                index[key] = list = [];
            list.Add(c);
        }
    }
}
