using Ci.Core.Protocol;
using Ci.Server.Jobs;
using Ci.Store;

namespace Ci.Server.Streaming;

/// <summary>
/// On a shared store, what other processes did reaches this one: log chunks and ended jobs go to this replica's
/// watchers, queued jobs wake this process's runner, and a cancel stops the job if this process's runner holds it.
/// Whatever this process did itself comes back too; watchers drop chunks they already have (by sequence).
/// </summary>
public sealed partial class StoreNotificationRelay(
    IStoreNotifications notifications, IJobStore store, LogBroadcaster broadcaster, IJobDispatcher dispatcher,
    ILogger<StoreNotificationRelay> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        notifications.ListenAsync(HandleAsync, stoppingToken);

    private async Task HandleAsync(StoreNotification notification, CancellationToken cancellationToken)
    {
        try
        {
            switch (notification)
            {
                case StoreNotification.JobQueued queued:
                    dispatcher.JobQueued(queued.JobId);
                    break;
                case StoreNotification.LogAppended appended when broadcaster.WatcherCount(appended.JobId) > 0:
                    if (appended.Text is { } text)
                    {
                        broadcaster.Publish(appended.JobId, new LogChunk(appended.Sequence, text));
                    }
                    else
                    {
                        await foreach (var chunk in store.ReadLogAsync(appended.JobId, appended.Sequence - 1, cancellationToken))
                        {
                            if (chunk.Sequence == appended.Sequence) broadcaster.Publish(appended.JobId, chunk);
                            break;
                        }
                    }
                    break;
                case StoreNotification.JobEnded ended:
                    if (ended.Status == JobStatus.Cancelled && dispatcher.Cancel(ended.JobId)) LogCancelledHere(logger, ended.JobId);
                    dispatcher.JobEnded(ended.JobId);
                    if (broadcaster.WatcherCount(ended.JobId) > 0 && await store.GetJobAsync(ended.JobId, cancellationToken) is { } job)
                        broadcaster.Finish(job);
                    break;
                case StoreNotification.Resync:
                    // Notifications were lost while reconnecting: every watcher re-reads the store.
                    LogResync(logger);
                    broadcaster.Resync();
                    break;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogRelayFailed(logger, exception, notification.GetType().Name);
        }
    }

    [LoggerMessage(LogLevel.Information, "Job {JobId} was cancelled on another replica: stopping it here.")]
    private static partial void LogCancelledHere(ILogger logger, Guid jobId);

    [LoggerMessage(LogLevel.Warning, "Reconnected to the store's notifications; live watchers re-read the store.")]
    private static partial void LogResync(ILogger logger);

    [LoggerMessage(LogLevel.Error, "Could not relay a store notification ({Kind}).")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception, string kind);
}
