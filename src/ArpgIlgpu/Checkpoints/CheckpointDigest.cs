using System.Security.Cryptography;

namespace ArpgIlgpu.Checkpoints;

/// <summary>
/// A checkpoint file's identity for the records pictures carry (<see cref="Generation.ImageRecord"/>):
/// the start of its SHA-256, enough to tell checkpoints apart, short enough to read.
/// </summary>
public static class CheckpointDigest
{
    /// <summary>Hex digits kept: 48 bits.</summary>
    public const int Length = 12;

    /// <summary>
    /// The first <see cref="Length"/> hex digits of the SHA-256 of <paramref name="path"/>. It reads
    /// the whole file once (right before loading it, so mostly from the OS cache).
    /// </summary>
    public static string Of(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream))[..Length];
    }
}
