namespace Ci.Server.Blobs;

/// <summary>
/// At most <see cref="MaxConcurrent"/> manifests are read into memory and parsed at once; further requests wait their
/// turn (or give up when their client does), so a burst of large manifests cannot take all of the server's memory.
/// </summary>
public sealed class ManifestInflation : IDisposable
{
    public const int MaxConcurrent = 4;

    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    /// <summary>Slots free now (for tests and metrics).</summary>
    public int Free => _slots.CurrentCount;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                slots.Release();
        }
    }
}
