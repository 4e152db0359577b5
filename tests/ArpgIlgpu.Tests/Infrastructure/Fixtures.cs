namespace ArpgIlgpu.Tests;

/// <summary>
/// Paths of the reference fixtures in tests/fixtures (relative to the repository root),
/// produced by the official PyTorch code; their README defines format and tolerances.
/// </summary>
public static class Fixtures
{
    /// <summary>The two fixtures: float32 weights with full VQ-16 topology, and float16 weights.</summary>
    public static readonly string[] Names = ["tiny", "tiny-fp16"];

    /// <summary>The repository root, found by walking up from the test binary to ArpgIlgpu.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The fixtures folder.</summary>
    public static string Directory => Path.Combine(RepoRoot, "tests", "fixtures");

    /// <summary>A file of fixture <paramref name="name"/>, e.g. Path("tiny", "arpg.pt").</summary>
    public static string PathOf(string name, string suffix)
    {
        string path = Path.Combine(Directory, $"{name}.{suffix}");
        if (!File.Exists(path))
            throw new FileNotFoundException($"fixture file missing: {path} (the reference fixtures live in tests/fixtures)", path);
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ArpgIlgpu.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"ArpgIlgpu.sln not found above {AppContext.BaseDirectory}");
    }
}
