namespace ArpgIlgpu.Weights;

/// <summary>A file that was downloaded and verified and now lies at <paramref name="Path"/>.</summary>
/// <param name="File">The manifest entry it was checked against.</param>
/// <param name="Path">Where it lies.</param>
/// <param name="SizeBytes">Its size.</param>
/// <param name="Sha256">Its full SHA-256 digest in lowercase hex.</param>
public sealed record DownloadedFile(WeightFile File, string Path, long SizeBytes, string Sha256)
{
    /// <summary>One line saying what was checked, with the full digest so a user can record it.</summary>
    public string Describe()
    {
        string size = $"{SizeBytes} bytes, sha256 {Sha256}";
        if (File.HasFullDigest)
            return $"{size} (matches the full digest in the manifest)";
        if (File.Sha256 is not null)
            return $"{size} (matches the known prefix {File.Sha256}: a partial check)";
        return $"{size} (no digest known: only the size was checked)";
    }
}
