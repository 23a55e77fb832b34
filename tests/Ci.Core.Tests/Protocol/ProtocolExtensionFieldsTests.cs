using System.Text.Json;
using Ci.Core.Protocol;

namespace Ci.Core.Tests.Protocol;

public class ProtocolExtensionFieldsTests
{
    [Fact]
    public void A_summary_without_git_state_has_exactly_the_original_five_keys()
    {
        var json = JsonSerializer.Serialize(new JobSummary("j", JobStatus.Queued, null, null, null), CiJsonContext.Default.JobSummary);

        Assert.Equal("""{"job_id":"j","status":"queued","success":null,"start_time":null,"end_time":null}""", json);
    }

    [Fact]
    public void Git_state_comes_after_the_original_keys_and_reads_back()
    {
        var summary = new JobSummary("j", JobStatus.Queued, null, null, null, GitCommit: "0123abcd", GitBranch: "main", GitDirty: true);

        var json = JsonSerializer.Serialize(summary, CiJsonContext.Default.JobSummary);

        Assert.EndsWith(""","end_time":null,"git_commit":"0123abcd","git_branch":"main","git_dirty":true}""", json);
        Assert.Equal(summary, JsonSerializer.Deserialize(json, CiJsonContext.Default.JobSummary));
    }

    [Fact]
    public void Flaky_fields_are_left_out_unless_a_test_was_retried()
    {
        var plain = new TestReport(1, 0, 0, 0.5, false, [new TestCaseResult("t::a", TestOutcome.Passed, 0.1)]);
        var retried = plain with { Flaky = 1, Tests = [new TestCaseResult("t::a", TestOutcome.Passed, 0.1) { Flaky = true, Attempts = 2 }] };

        var plainJson = JsonSerializer.Serialize(plain, CiJsonContext.Default.TestReport);
        var retriedJson = JsonSerializer.Serialize(retried, CiJsonContext.Default.TestReport);

        Assert.DoesNotContain("flaky", plainJson);
        Assert.DoesNotContain("attempts", plainJson);
        Assert.Contains("\"flaky\":1", retriedJson);
        Assert.Contains("\"flaky\":true,\"attempts\":2", retriedJson);
        var back = JsonSerializer.Deserialize(retriedJson, CiJsonContext.Default.TestReport)!;
        Assert.Equal(1, back.Flaky);
        Assert.True(back.Tests[0].Flaky);
        Assert.Equal(2, back.Tests[0].Attempts);
    }
}
