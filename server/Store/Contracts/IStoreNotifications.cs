namespace Ci.Store;

/// <summary>
/// What a shared store tells every process using it as things happen (PostgreSQL <c>LISTEN/NOTIFY</c>): how API
/// replicas stream logs that runners on other hosts write, and how a cancel on one replica reaches the runner.
/// </summary>
public interface IStoreNotifications
{
    /// <summary>
    /// Delivers notifications to <paramref name="onNotification"/> (one at a time, in the order the store sent them)
    /// until cancelled; reconnects when the connection drops and then sends <see cref="StoreNotification.Resync"/>.
    /// </summary>
    Task ListenAsync(Func<StoreNotification, CancellationToken, Task> onNotification, CancellationToken cancellationToken);
}
