using System.Text;
using Ci.Cli.Output;
using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Protocol;
using Ci.Core.Recipes;
using Ci.Core.Zip;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci submit test [--async] [--dry-run] [--shards N] [--project NAME]</c>: zip the current directory and run its tests on the server.</summary>
internal sealed class SubmitCommand(CliServices services)
{
    /// <summary>Run the current directory's tests on the CI server and stream the log; exit 0 if they pass, 1 if not.</summary>
    /// <param name="async">Submit and print the job id without waiting for the result.</param>
    /// <param name="dryRun">List the files that would be uploaded and their total size, then the recipe the server would run (as ci config does); send nothing.</param>
    /// <param name="json">With --async or --dry-run: print JSON instead of text.</param>
    /// <param name="shards">Split the suite into N shards (1-64) run side by side, balanced by recorded test times (default: the project's shards setting, else 1).</param>
    /// <param name="project">The project's name for its test-time history (default: [project] name, else ci.toml name, else the folder's).</param>
    /// <param name="retries">Run failed tests again up to N times (0-5; default: retries in the project's settings); one that then passes is reported flaky.</param>
    /// <param name="apiKey">API key (default: CI_API_KEY, then the profile's or the top api_key= in ~/.ci/config).</param>
    /// <param name="cancellationToken">Ctrl+C: stop streaming; the job keeps running on the server.</param>
    [Command("test")]
    public async Task<int> Test(bool async = false, bool dryRun = false, bool json = false, [HideDefaultValue] int? shards = null,
        [HideDefaultValue] string? project = null, [HideDefaultValue] int? retries = null, [HideDefaultValue] string? apiKey = null,
        CancellationToken cancellationToken = default)
    {
        var streams = services.Streams;
        if (dryRun)
        {
            var selection = ProjectFiles.Select(services.WorkingDirectory);
            if (selection.Files.Count == 0)
                throw new CiNothingToUploadException(selection);
            await streams.Out.WriteAsync(json
                ? CliJson.Serialize(DryRun(selection))
                : RenderDryRun(selection) + "\nRecipe:\n" + string.Concat(ConfigCommand.Recipe(services.WorkingDirectory).Select(line => "  " + line + "\n")));
            return ExitCodes.Success;
        }
        if (json && !async)
            throw new ArgumentParseFailedException("--json needs --async or --dry-run: a streamed log is text (for events as JSON use 'ci logs --follow --json').");

        if (retries is < 0 or > ProjectConfigReader.MaxRetries)
            throw new ArgumentParseFailedException($"--retries: expected a whole number from 0 to {ProjectConfigReader.MaxRetries}.");
        var options = SubmitSharding.Options(services.WorkingDirectory, shards, project) with { Retries = retries };
        using var client = services.CreateClient(apiKey);
        using var progress = TransferProgress.For(streams, "Uploading");
        try
        {
            if (async)
            {
                var jobId = await client.SubmitAsync(services.WorkingDirectory, options, progress, cancellationToken);
                await streams.Out.WriteAsync(json ? CliJson.Serialize(new SubmitAsyncResponse(jobId)) : $"Job submitted: {jobId}\n");
                return ExitCodes.Success;
            }
            return await JobLogPrinter.PrintAsync(
                client.SubmitStreamingAsync(services.WorkingDirectory, options, progress, cancellationToken), streams, cancellationToken, client);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await streams.Err.WriteLineAsync("Job cancelled by user.");
            return ExitCodes.Interrupted;
        }
    }

    internal static DryRunReport DryRun(ProjectFiles selection) => new(selection.Root, selection.IgnoreFileName,
        selection.Files.Count, selection.TotalBytes, [.. selection.Files.Select(f => new FileReport(f.EntryName, f.Length))]);

    /// <summary>One line per file (size, then path), then the count and total.</summary>
    internal static string RenderDryRun(ProjectFiles selection)
    {
        var text = new StringBuilder();
        foreach (var file in selection.Files)
            text.Append(TransferProgress.Size(file.Length).PadLeft(10)).Append("  ").Append(file.EntryName).Append('\n');
        var rules = selection.IgnoreFileName is { } name ? $", {name} applied" : "";
        text.Append($"{selection.Files.Count} file{(selection.Files.Count == 1 ? "" : "s")}, {TransferProgress.Size(selection.TotalBytes)} would be uploaded{rules}; nothing was sent.\n");
        return text.ToString();
    }
}
