using ArpgIlgpu.Models;

namespace ArpgIlgpu.Generation;

/// <summary>Validation of user-supplied classes and token canvases, with errors that name the input.</summary>
public static class TokenChecks
{
    /// <summary>Every class must be in 0..num_classes-1; errors name <paramref name="parameter"/>.</summary>
    public static void RequireClasses(ArpgConfig config, IReadOnlyList<int> classes, string parameter = "classes")
    {
        if (classes.Count == 0)
            throw new InvalidParameterException(parameter, null, "at least one class is needed");
        foreach (int c in classes)
            if (c < 0 || c >= config.NumClasses)
                throw new InvalidParameterException(parameter, null, $"class {c} is outside 0..{config.NumClasses - 1}");
    }

    /// <summary>Every row must hold L = block_size token ids in 0..vocab_size-1; errors name <paramref name="parameter"/>.</summary>
    public static void RequireCanvas(ArpgConfig config, IReadOnlyList<int[]> tokens, string parameter)
    {
        if (tokens.Count == 0)
            throw new InvalidParameterException(parameter, null, "no images");
        for (int b = 0; b < tokens.Count; b++)
        {
            if (tokens[b].Length != config.BlockSize)
                throw new InvalidParameterException(parameter, null,
                    $"image {b} has {tokens[b].Length} tokens, expected {config.BlockSize} ({config.GridSize}x{config.GridSize})");
            foreach (int t in tokens[b])
                if (t < 0 || t >= config.VocabSize)
                    throw new InvalidParameterException(parameter, null,
                        $"image {b} has token {t}, outside the vocabulary 0..{config.VocabSize - 1}");
        }
    }
}
