using Ci.Core.Protocol;
using Microsoft.Data.Sqlite;

namespace Ci.Store.Sqlite;

public sealed partial class SqliteStore
{
    readonly JobInsertBatcher jobInserts;

    /// <summary>The group commit of new jobs (for tests).</summary>
    internal JobInsertBatcher JobInserts => jobInserts;

    /// <summary>Holds this store's writer until disposed, as a long write would (for tests).</summary>
    internal async Task<IAsyncDisposable> HoldWriterAsync(CancellationToken cancellationToken) => await OpenWriterAsync(cancellationToken);

    /// <summary>
    /// Group commit of new jobs: concurrent submissions queue their row here and one writer stores every row queued
    /// meanwhile in a single transaction, so a burst of submissions pays for one writer turn and one commit instead of
    /// one each. Each row is inserted under its own savepoint: a row that fails (a vanished user) is rolled back alone
    /// and only its submission gets the error. A failed commit fails every row of its batch (none was stored). A
    /// submission is answered only after the commit that holds its row.
    /// </summary>
    internal sealed class JobInsertBatcher(SqliteStore store)
    {
        readonly Lock gate = new();
        List<Pending> queued = [];
        bool draining;

        /// <summary>Rows queued and not yet taken by a batch (for tests).</summary>
        internal int QueuedCount
        {
            get
            {
                lock (gate) return queued.Count;
            }
        }

        /// <summary>The size of every batch committed so far, in order (for tests).</summary>
        internal List<int> BatchSizes { get; } = [];

        /// <summary>Stores the job's row; completes once it is committed (or throws what stopped it).</summary>
        public Task InsertAsync(JobRecord job)
        {
            var pending = new Pending(job);
            bool start;
            lock (gate)
            {
                queued.Add(pending);
                start = !draining;
                draining = true;
            }
            if (start)
                _ = Task.Run(DrainAsync);
            return pending.Done.Task;
        }

        async Task DrainAsync()
        {
            while (true)
            {
                List<Pending> batch;
                lock (gate)
                {
                    // Only this loop takes rows out, so a queue seen non-empty here is still non-empty below.
                    if (queued.Count == 0)
                    {
                        draining = false;
                        return;
                    }
                }
                Writer? writer = null;
                try
                {
                    // Rows keep queueing while this waits for the writer; they all go into this batch.
                    writer = await store.OpenWriterAsync(CancellationToken.None);
                }
                catch (Exception e)
                {
                    lock (gate)
                    {
                        batch = queued;
                        queued = [];
                        draining = false;
                    }
                    foreach (var pending in batch)
                        pending.Done.TrySetException(e);
                    return;
                }
                await using (writer)
                {
                    lock (gate)
                    {
                        batch = queued;
                        queued = [];
                    }
                    lock (BatchSizes) BatchSizes.Add(batch.Count);
                    await CommitAsync(writer.Connection, batch);
                }
            }
        }

        static async Task CommitAsync(SqliteConnection connection, List<Pending> batch)
        {
            var failed = new Exception?[batch.Count];
            try
            {
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(CancellationToken.None);
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO jobs (id, user_id, status, created_at) VALUES ($id, $user, $status, $created);";
                var id = insert.Parameters.Add("$id", SqliteType.Text);
                var user = insert.Parameters.Add("$user", SqliteType.Text);
                insert.Parameters.AddWithValue("$status", JobStatus.Queued.ToWire());
                var created = insert.Parameters.Add("$created", SqliteType.Text);
                for (var i = 0; i < batch.Count; i++)
                {
                    var job = batch[i].Job;
                    id.Value = Text(job.Id);
                    user.Value = Text(job.UserId);
                    created.Value = FormatTime(job.CreatedAt);
                    if (batch.Count == 1)
                    {
                        await insert.ExecuteNonQueryAsync(CancellationToken.None);
                        continue;
                    }
                    await transaction.SaveAsync("job", CancellationToken.None);
                    try
                    {
                        await insert.ExecuteNonQueryAsync(CancellationToken.None);
                        await transaction.ReleaseAsync("job", CancellationToken.None);
                    }
                    catch (SqliteException e)
                    {
                        await transaction.RollbackAsync("job", CancellationToken.None);
                        await transaction.ReleaseAsync("job", CancellationToken.None);
                        failed[i] = e;
                    }
                }
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                // Nothing of this batch was stored.
                foreach (var pending in batch)
                    pending.Done.TrySetException(e);
                return;
            }
            for (var i = 0; i < batch.Count; i++)
            {
                if (failed[i] is { } error)
                    batch[i].Done.TrySetException(error);
                else
                    batch[i].Done.TrySetResult();
            }
        }

        internal sealed record Pending(JobRecord Job)
        {
            public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
