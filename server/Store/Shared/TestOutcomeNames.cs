using Ci.Core.Protocol;

namespace Ci.Store;

/// <summary>How both stores write a test's outcome in their <c>test_cases</c> table.</summary>
static class TestOutcomeNames
{
    public static string Name(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => "passed",
        TestOutcome.Failed => "failed",
        TestOutcome.Error => "error",
        _ => "skipped",
    };

    public static TestOutcome Parse(string name) => name switch
    {
        "passed" => TestOutcome.Passed,
        "failed" => TestOutcome.Failed,
        "error" => TestOutcome.Error,
        _ => TestOutcome.Skipped,
    };
}
