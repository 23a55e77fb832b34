using Ci.CommandLine;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci cancel &lt;job_id&gt;</c>: stop a queued or running job.</summary>
internal sealed class CancelCommand(CliServices services)
{
    /// <summary>Stop a queued or running job; its status becomes cancelled.</summary>
    /// <param name="jobId">The job's id, as printed by submit or list.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop the request.</param>
    [Command("cancel")]
    public async Task<int> Cancel([Argument] string jobId, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        using var client = services.CreateClient(apiKey);
        await client.CancelJobAsync(jobId, cancellationToken);
        await services.Streams.Out.WriteLineAsync($"Job {jobId} cancelled.");
        return ExitCodes.Success;
    }
}
