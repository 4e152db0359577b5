using System.Globalization;

namespace ArpgIlgpu.Cli;

/// <summary>Which images of a sample set one run makes: those with index mod <see cref="Count"/> == <see cref="Index"/>.</summary>
/// <param name="Index">This run's shard, 0..Count-1.</param>
/// <param name="Count">How many shards share the set.</param>
/// <param name="Source">Where the shard came from, for the line a run prints ("--shard 0/4", "SLURM_ARRAY_TASK_ID=3 of 8").</param>
internal sealed record SampleShard(int Index, int Count, string Source)
{
    /// <summary>
    /// Reads --shard: "k/n", or "auto" for the job array this process is a task of, so that one
    /// command line serves every task:
    /// <list type="bullet">
    /// <item>Slurm (<c>sbatch --array=0-7</c>): SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT tasks,
    /// counted from SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP (so 1-8 works too);</item>
    /// <item>a Kubernetes Indexed Job: JOB_COMPLETION_INDEX, of <paramref name="count"/> (--shard-count)
    /// or JOB_COMPLETIONS (Kubernetes does not set it: the manifest passes its spec.completions).</item>
    /// </list>
    /// <paramref name="environment"/> looks a variable up (null or empty: not set).
    /// </summary>
    public static SampleShard Read(string text, int? count, Func<string, string?> environment)
    {
        if (!text.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (count is not null)
                throw new InvalidInputException($"--shard-count {count}: only with --shard auto (--shard {text} names its count)");
            return Parse(text);
        }
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value : null;
        if (Get("SLURM_ARRAY_TASK_ID") is string task)
            return FromSlurm(task, Get, count);
        if (Get("JOB_COMPLETION_INDEX") is string index)
            return FromIndexedJob(index, Get, count);
        throw new InvalidInputException(
            "--shard auto: not a task of a job array (neither SLURM_ARRAY_TASK_ID, set by sbatch --array, nor " +
            "JOB_COMPLETION_INDEX, set in a Kubernetes Indexed Job, is set); give --shard k/n");
    }

    /// <summary>k/n.</summary>
    private static SampleShard Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int k) || !int.TryParse(parts[1], out int n))
            throw new InvalidInputException($"--shard '{text}': expected k/n (e.g. 0/4 for the first of four shards) or auto");
        if (n < 1 || k < 0 || k >= n)
            throw new InvalidInputException($"--shard '{text}': needs n >= 1 and 0 <= k < n (shards are numbered from 0)");
        return new SampleShard(k, n, $"--shard {k}/{n}");
    }

    private static SampleShard FromSlurm(string task, Func<string, string?> get, int? count)
    {
        int id = Integer("SLURM_ARRAY_TASK_ID", task);
        int tasks = Integer("SLURM_ARRAY_TASK_COUNT", get("SLURM_ARRAY_TASK_COUNT")
            ?? throw new InvalidInputException("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (Slurm sets both for sbatch --array)"));
        int min = get("SLURM_ARRAY_TASK_MIN") is string m ? Integer("SLURM_ARRAY_TASK_MIN", m) : 0;
        int step = get("SLURM_ARRAY_TASK_STEP") is string s ? Integer("SLURM_ARRAY_TASK_STEP", s) : 1;
        if (count is int given && given != tasks)
            throw new InvalidInputException($"--shard-count {given}: the Slurm array has SLURM_ARRAY_TASK_COUNT={tasks} tasks");
        int index = step > 0 && (id - min) % step == 0 ? (id - min) / step : -1;
        if (tasks < 1 || index < 0 || index >= tasks)
            throw new InvalidInputException(
                $"--shard auto: SLURM_ARRAY_TASK_ID={id} is not one of the {tasks} tasks from SLURM_ARRAY_TASK_MIN={min} in steps of {step}; " +
                "use one range (sbatch --array=0-N), not a list");
        return new SampleShard(index, tasks, $"SLURM_ARRAY_TASK_ID={id} of SLURM_ARRAY_TASK_COUNT={tasks}");
    }

    private static SampleShard FromIndexedJob(string text, Func<string, string?> get, int? count)
    {
        int index = Integer("JOB_COMPLETION_INDEX", text);
        int completions = count
            ?? (get("JOB_COMPLETIONS") is string c
                ? Integer("JOB_COMPLETIONS", c)
                : throw new InvalidInputException(
                    $"--shard auto: JOB_COMPLETION_INDEX={index}, but of how many? pass --shard-count N or set JOB_COMPLETIONS (the Job's spec.completions)"));
        string of = count is null ? $"JOB_COMPLETIONS={completions}" : $"--shard-count {completions}";
        if (completions < 1)
            throw new InvalidInputException($"--shard auto: {of}: the number of shards must be at least 1");
        if (index < 0 || index >= completions)
            throw new InvalidInputException($"--shard auto: JOB_COMPLETION_INDEX={index} is outside 0..{completions - 1} ({of})");
        return new SampleShard(index, completions, $"JOB_COMPLETION_INDEX={index} of {of}");
    }

    private static int Integer(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new InvalidInputException($"--shard auto: {name}='{value}' is not an integer");
}
