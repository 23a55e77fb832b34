using Ci.Cli.Terminal;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci submit test [--async]</c>: zip the current directory and run its tests on the server.</summary>
internal sealed class SubmitCommand(CliServices services)
{
    /// <summary>Run the current directory's tests on the CI server and stream the log; exit 0 if they pass, 1 if not.</summary>
    /// <param name="async">Submit and print the job id without waiting for the result.</param>
    /// <param name="dryRun">Upload nothing: show the recipe the server would run for this folder (as ci config does).</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop streaming; the job keeps running on the server.</param>
    [Command("test")]
    public async Task<int> Test(bool async = false, bool dryRun = false, [HideDefaultValue] string? apiKey = null, CancellationToken cancellationToken = default)
    {
        var streams = services.Streams;
        if (dryRun)
        {
            await streams.Out.WriteAsync("Recipe:\n" + ConfigCommand.RenderRecipe(services.WorkingDirectory));
            return ExitCodes.Success;
        }
        using var client = services.CreateClient(apiKey);
        using var progress = ZipProgress.For(streams);
        try
        {
            if (async)
            {
                var jobId = await client.SubmitAsync(services.WorkingDirectory, progress, cancellationToken);
                await streams.Out.WriteLineAsync($"Job submitted: {jobId}");
                return ExitCodes.Success;
            }
            return await JobLogPrinter.PrintAsync(
                client.SubmitStreamingAsync(services.WorkingDirectory, progress, cancellationToken), streams, cancellationToken, client);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await streams.Err.WriteLineAsync("Job cancelled by user.");
            return ExitCodes.Interrupted;
        }
    }
}
