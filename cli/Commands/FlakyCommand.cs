using System.Globalization;
using System.Text;
using Ci.Cli.Output;
using Ci.CommandLine;
using Ci.Core.Protocol;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci flaky [--json]</c>: the user's tests that were flaky in recent jobs.</summary>
internal sealed class FlakyCommand(CliServices services)
{
    /// <summary>List your tests that were flaky in recent jobs (failed then passed on a retry, or passed and failed on the same tree), newest first.</summary>
    /// <param name="json">Print the list as JSON.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop the request.</param>
    [Command("flaky")]
    public async Task<int> Flaky(bool json = false, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        using var client = services.CreateClient(apiKey);
        var tests = await client.GetFlakyTestsAsync(cancellationToken);
        await services.Streams.Out.WriteAsync(json ? CliJson.Serialize(tests) : Render(tests));
        return ExitCodes.Success;
    }

    /// <summary>One line per test: how often, when last, the last job, the name; a sentence when there is none.</summary>
    internal static string Render(IReadOnlyList<FlakyTestEntry> tests)
    {
        if (tests.Count == 0) return "No flaky tests in your recent jobs.\n";
        var text = new StringBuilder("TIMES  LAST SEEN             LAST JOB                              TEST\n");
        foreach (var test in tests)
        {
            var lastSeen = test.LastSeen?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
            var how = test.SameTree ? "  (passed and failed on the same tree)" : "";
            text.Append(test.Times.ToString(CultureInfo.InvariantCulture).PadLeft(5)).Append("  ").Append(lastSeen.PadRight(20)).Append("  ")
                .Append(test.LastJobId.PadRight(36)).Append("  ").Append(test.Name).Append(how).Append('\n');
        }
        return text.ToString();
    }
}
