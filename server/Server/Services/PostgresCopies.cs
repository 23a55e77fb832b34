using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Ci.Server.Services;

/// <summary>
/// The template copies of jobs' PostgreSQL data folders. Copying the template's 28 MB onto the job's disk and handing
/// every file to the job's user is most of a start (0.1-1.2 s under load against 0.05-0.35 s for the server itself),
/// so a job that asks for PostgreSQL has its copy begun early (<see cref="Begin"/>, while its environment is
/// installed) and the start only waits for what is left of it. The copy cannot be made before the job: the job's
/// folder is its own file system (a tmpfs of <c>--job-disk-mb</c>), mounted when the job begins.
/// </summary>
internal sealed class PostgresCopies
{
    private readonly ConcurrentDictionary<string, Task> _begun = new(StringComparer.Ordinal);

    /// <summary>Begins copying the template (<paramref name="template"/> gives its folder) to <paramref name="data"/> in the background.</summary>
    public void Begin(string data, Func<Task<string>> template, ServiceLaunch launch) =>
        _begun.GetOrAdd(data, _ => Task.Run(async () => await CopyAsync(await template(), data, launch, CancellationToken.None)));

    /// <summary>
    /// Makes <paramref name="data"/> a copy of <paramref name="template"/> for <paramref name="launch"/>'s user: waits
    /// for the copy begun for it, or (none begun, or it failed) copies now.
    /// </summary>
    public async Task MakeAsync(string data, string template, ServiceLaunch launch, CancellationToken cancellationToken)
    {
        if (_begun.TryRemove(data, out var begun))
        {
            try
            {
                await begun.WaitAsync(cancellationToken);
                return;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ServiceStartException)
            {
                // Copied again below from scratch.
                if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
            }
        }
        await CopyAsync(template, data, launch, cancellationToken);
    }

    /// <summary>The copy begun for <paramref name="data"/> (done when none was begun).</summary>
    public Task BegunAsync(string data) => _begun.TryGetValue(data, out var begun) ? begun : Task.CompletedTask;

    /// <summary>Waits for a copy begun for <paramref name="data"/> that no start took (the job ended before), and forgets it.</summary>
    public async Task ForgetAsync(string data)
    {
        if (!_begun.TryRemove(data, out var begun)) return;
        try
        {
            await begun;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ServiceStartException)
        {
            // The job's folder, with whatever was copied, is removed with the job.
        }
    }

    /// <summary>Copies <paramref name="template"/> to <paramref name="data"/> (a reflink where the file system can) and hands it to the launch's user.</summary>
    private static async Task CopyAsync(string template, string data, ServiceLaunch launch, CancellationToken cancellationToken)
    {
        await ServiceFolders.RunAsync(Local("cp", ["-a", "--reflink=auto", template, data]), TimeSpan.FromMinutes(1), cancellationToken);
        if (launch.UserId is { } uid)
        {
            var owner = string.Create(CultureInfo.InvariantCulture, $"{uid}:{launch.EffectiveGroupId}");
            await ServiceFolders.RunAsync(Local("chown", ["-R", "--no-dereference", owner, data]), TimeSpan.FromMinutes(1), cancellationToken);
        }
    }

    private static ProcessStartInfo Local(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }
}
