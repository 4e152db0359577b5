namespace ArpgIlgpu.Weights;

/// <summary>
/// One released weight file as the manifest describes it: the model name users type, the file
/// name it is stored under, where it is published, and what is known to check it by.
/// </summary>
/// <param name="Model">The model name users type, e.g. <c>ARPG-L</c> or <c>VQ-16</c>.</param>
/// <param name="FileName">A bare file name (no folders), e.g. <c>arpg_300m.pt</c>.</param>
/// <param name="Url">Where the file is published (an absolute http or https URL).</param>
/// <param name="SizeBytes">The exact size in bytes, or null when it is not known.</param>
/// <param name="Sha256">
/// The SHA-256 digest in lowercase hex: all 64 digits, or only a leading prefix of them (a
/// partial check: all that the publisher's page shows), or null when no digest is known.
/// </param>
public sealed record WeightFile(string Model, string FileName, Uri Url, long? SizeBytes, string? Sha256)
{
    /// <summary>The length of a full SHA-256 digest in hex digits.</summary>
    public const int FullDigestLength = 64;

    /// <summary>True when <see cref="Sha256"/> is a complete digest, not a prefix.</summary>
    public bool HasFullDigest => Sha256?.Length == FullDigestLength;

    /// <summary>
    /// Whether a file whose full digest is <paramref name="actualSha256"/> is this file as far as
    /// the manifest can tell: equal to a full digest, or starting with a known prefix; true when no
    /// digest is known.
    /// </summary>
    public bool DigestMatches(string actualSha256) =>
        Sha256 is null || actualSha256.StartsWith(Sha256, StringComparison.OrdinalIgnoreCase);
}
