namespace ArpgIlgpu.Tests.Weights;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates the folder.</summary>
    public TempDirectory() => Directory.CreateDirectory(Path);

    /// <summary>The folder's full path.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"arpg-test-{Guid.NewGuid():N}");

    /// <summary>The names of the files in the folder, sorted.</summary>
    public string[] FileNames() =>
        Directory.GetFiles(Path).Select(f => System.IO.Path.GetFileName(f)).Order().ToArray();

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
