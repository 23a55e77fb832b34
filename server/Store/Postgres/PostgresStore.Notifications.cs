using System.Globalization;
using Ci.Core.Protocol;
using Npgsql;

namespace Ci.Store.Postgres;

public sealed partial class PostgresStore : IStoreNotifications
{
    /// <inheritdoc/>
    public async Task ListenAsync(Func<StoreNotification, CancellationToken, Task> onNotification, CancellationToken cancellationToken)
    {
        var reconnecting = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                var received = System.Threading.Channels.Channel.CreateUnbounded<StoreNotification>(new() { SingleReader = true, SingleWriter = true });
                connection.Notification += (_, e) =>
                {
                    if (Parse(e.Channel, e.Payload) is { } notification) received.Writer.TryWrite(notification);
                };
                await using (var listen = new NpgsqlCommand("LISTEN ci_queued; LISTEN ci_log; LISTEN ci_job;", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                if (reconnecting) await onNotification(new StoreNotification.Resync(), cancellationToken);
                reconnecting = true;
                // Handled on another task so that a slow handler never stalls reading the connection.
                var handling = Task.Run(async () =>
                {
                    await foreach (var notification in received.Reader.ReadAllAsync(cancellationToken))
                        await onNotification(notification, cancellationToken);
                }, cancellationToken);
                try
                {
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        // Bounded waits: a connection that died silently is noticed by the keep-alive query.
                        if (!await connection.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken))
                        {
                            await using var ping = new NpgsqlCommand("SELECT 1;", connection);
                            await ping.ExecuteNonQueryAsync(cancellationToken);
                        }
                    }
                }
                finally
                {
                    received.Writer.TryComplete();
                    await handling.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    static StoreNotification? Parse(string channel, string payload)
    {
        var first = payload.IndexOf(' ');
        var id = first < 0 ? payload : payload[..first];
        if (!Guid.TryParse(id, out var jobId)) return null;
        switch (channel)
        {
            case "ci_queued":
                return new StoreNotification.JobQueued(jobId);
            case "ci_job":
                return first > 0 && JobStatusNames.TryParse(payload[(first + 1)..], out var status) ? new StoreNotification.JobEnded(jobId, status) : null;
            case "ci_log":
                if (first < 0) return null;
                var second = payload.IndexOf(' ', first + 1);
                var sequenceText = second < 0 ? payload[(first + 1)..] : payload[(first + 1)..second];
                if (!long.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)) return null;
                return new StoreNotification.LogAppended(jobId, sequence, second < 0 ? null : payload[(second + 1)..]);
            default:
                return null;
        }
    }
}
