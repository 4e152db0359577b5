using ArpgIlgpu.Cli;
using Xunit;

namespace ArpgIlgpu.Tests.Cli;

/// <summary>--shard k/n and --shard auto from a Slurm job array or a Kubernetes Indexed Job's variables.</summary>
public class SampleShardTests
{
    private static SampleShard Read(string text, int? count, params (string Name, string Value)[] variables)
    {
        Dictionary<string, string> environment = variables.ToDictionary(v => v.Name, v => v.Value);
        return SampleShard.Read(text, count, name => environment.GetValueOrDefault(name));
    }

    [Fact]
    public void AutoTakesTheShardFromTheJobArray()
    {
        Assert.Equal((3, 8), Pair(Read("auto", null, ("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "8"))));
        // sbatch --array=1-8 and --array=0-14:2
        Assert.Equal((0, 8), Pair(Read("auto", null, ("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "8"), ("SLURM_ARRAY_TASK_MIN", "1"))));
        Assert.Equal((7, 8), Pair(Read("auto", null, ("SLURM_ARRAY_TASK_ID", "14"), ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_STEP", "2"))));
        Assert.Equal((2, 4), Pair(Read("auto", 4, ("JOB_COMPLETION_INDEX", "2"))));
        Assert.Equal((2, 4), Pair(Read("AUTO", null, ("JOB_COMPLETION_INDEX", "2"), ("JOB_COMPLETIONS", "4"))));
        // an empty variable is not set
        Assert.Equal((1, 2), Pair(Read("auto", 2, ("SLURM_ARRAY_TASK_ID", ""), ("JOB_COMPLETION_INDEX", "1"))));
        Assert.Equal("SLURM_ARRAY_TASK_ID=3 of SLURM_ARRAY_TASK_COUNT=8",
            Read("auto", null, ("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "8")).Source);
        Assert.Equal((1, 4), Pair(Read("1/4", null)));
    }

    private static (int, int) Pair(SampleShard s) => (s.Index, s.Count);

    public static TheoryData<string, int?, (string, string)[], string> Wrong => new()
    {
        { "auto", null, [], "--shard auto: not a task of a job array (neither SLURM_ARRAY_TASK_ID" },
        { "auto", null, [("SLURM_ARRAY_TASK_ID", "3")], "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not" },
        { "auto", null, [("SLURM_ARRAY_TASK_ID", "x3"), ("SLURM_ARRAY_TASK_COUNT", "8")], "SLURM_ARRAY_TASK_ID='x3' is not an integer" },
        { "auto", null, [("SLURM_ARRAY_TASK_ID", "8"), ("SLURM_ARRAY_TASK_COUNT", "8")], "SLURM_ARRAY_TASK_ID=8 is not one of the 8 tasks" },
        { "auto", 4, [("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "8")], "--shard-count 4: the Slurm array has SLURM_ARRAY_TASK_COUNT=8 tasks" },
        { "auto", null, [("JOB_COMPLETION_INDEX", "2")], "JOB_COMPLETION_INDEX=2, but of how many? pass --shard-count N or set JOB_COMPLETIONS" },
        { "auto", 2, [("JOB_COMPLETION_INDEX", "2")], "JOB_COMPLETION_INDEX=2 is outside 0..1 (--shard-count 2)" },
        { "auto", 0, [("JOB_COMPLETION_INDEX", "0")], "the number of shards must be at least 1" },
        { "0/2", 2, [], "--shard-count 2: only with --shard auto" },
        { "2/2", null, [], "--shard '2/2': needs n >= 1 and 0 <= k < n" },
        { "half", null, [], "--shard 'half': expected k/n" },
    };

    [Theory, MemberData(nameof(Wrong))]
    public void AWrongOrMissingVariableIsBadInputNamingIt(string text, int? count, (string, string)[] variables, string expected) =>
        Assert.Contains(expected, Assert.Throws<InvalidInputException>(() => Read(text, count, variables)).Message);
}
