using System.Diagnostics;
using System.Text;
using Ci.Server.Isolation;
using Ci.Server.Recipes;

namespace Ci.Server.Runner;

/// <summary>Runs one program of a job: output streams to the log as it arrives, and a stop kills the whole tree.</summary>
internal static class JobProcess
{
    // After the processes are gone the pipe reaches end-of-file at once; a holder that escaped every kill must not
    // hang the job.
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(2);

    /// <summary>The exit code, or null when the job was stopped (see <see cref="RunningJob.Reason"/>).</summary>
    /// <param name="filter">Rewrites the output on its way to the log (a shard's prefix); null: as it is.</param>
    /// <param name="sharesCgroup">True for one of several programs running side by side (shards): the job's cgroup is
    /// not emptied when this one ends, which would kill the others; the job's end empties it.</param>
    public static async Task<int?> RunAsync(
        Sandbox sandbox, JobCommand command, string marker, JobLog log, RunningJob job, JobConfinement? confinement, CancellationToken cancellationToken,
        IOutputFilter? filter = null, bool sharesCgroup = false)
    {
        var start = sandbox.CreateStartInfo(command);
        confinement?.Confine(start);
        using var process = new Process { StartInfo = start };
        process.Start();
        var rootPid = process.Id;
        process.StandardInput.Close();
        using var pumpStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = PumpAsync(process.StandardOutput.BaseStream, log, filter, pumpStop.Token);
        try
        {
            await process.WaitForExitAsync(job.StopToken);
        }
        catch (OperationCanceledException) when (job.StopToken.IsCancellationRequested)
        {
            ProcessTree.Kill(process, sandbox.StartsProcessGroup, marker);
            await process.WaitForExitAsync(cancellationToken);
        }
        // Background processes a test left behind must not outlive the job (nor hold its output pipe open).
        ProcessTree.KillLeftovers(rootPid, sandbox.StartsProcessGroup, marker);
        // And what escaped both (a new session without the marker): the cgroup holds every process the job started.
        if (confinement is not null && !sharesCgroup) await confinement.KillProcessesAsync(CancellationToken.None);
        try
        {
            await pump.WaitAsync(s_drainLimit, cancellationToken);
        }
        catch (TimeoutException)
        {
            await pumpStop.CancelAsync();
            process.StandardOutput.BaseStream.Dispose();
            try
            {
                await pump;
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or IOException)
            {
            }
        }
        return job.Reason == StopReason.None ? process.ExitCode : null;
    }

    /// <summary>
    /// Reads raw bytes as they come (no line buffering) and hands each read to the log, which stores it at once or,
    /// while a store write is in flight, with whatever else arrives meanwhile (<see cref="JobLog"/>). The decoder
    /// keeps a multi-byte character split across two reads whole; invalid UTF-8 becomes U+FFFD. Returns when the
    /// output is stored.
    /// </summary>
    private static async Task PumpAsync(Stream output, JobLog log, IOutputFilter? filter, CancellationToken cancellationToken)
    {
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
        // A pipe holds 64 KiB: one read takes all a fast writer has produced.
        var bytes = new byte[64 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        while (true)
        {
            var read = await output.ReadAsync(bytes, cancellationToken);
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: read == 0);
            if (count > 0 && filter is null) await log.WriteOutputAsync(chars.AsSpan(0, count), cancellationToken);
            else if (count > 0) await log.WriteOutputAsync(filter!.Append(chars.AsSpan(0, count)), cancellationToken);
            if (read == 0) break;
        }
        if (filter is not null) await log.WriteOutputAsync(filter.Flush(), cancellationToken);
        await log.FlushAsync(cancellationToken);
    }
}
