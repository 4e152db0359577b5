namespace ArpgIlgpu.Generation;

/// <summary>
/// One of the 1000 ImageNet-1k classes the released models are conditioned on.
/// </summary>
/// <param name="Number">The class label the model takes: 0..999, the line of the standard synset list.</param>
/// <param name="WordNetId">The WordNet synset, e.g. n02099601.</param>
/// <param name="Names">The names, most common first, as the standard list gives them ("golden retriever").</param>
public sealed record ImageNetClass(int Number, string WordNetId, IReadOnlyList<string> Names)
{
    /// <summary>The first, most common name.</summary>
    public string Name => Names[0];

    /// <summary>
    /// <see cref="Name"/> as a file-name part: lower case, words joined by '_' ("golden_retriever",
    /// "jack_o_lantern"); it is itself a name <see cref="ImageNetClasses.Find"/> accepts.
    /// </summary>
    public string FileLabel => ImageNetClasses.Normalize(Name).Replace(' ', '_');

    /// <summary>"207 golden retriever" or "0 tench, Tinca tinca": the number and every name.</summary>
    public override string ToString() => $"{Number} {string.Join(", ", Names)}";
}
