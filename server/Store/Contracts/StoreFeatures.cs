namespace Ci.Store;

/// <summary>
/// What a store offers beyond the interfaces every <see cref="ICiStore"/> has, described by the store itself so that
/// the server registers its services from this instead of asking the store's type.
/// </summary>
/// <param name="SubmissionKeys">Idempotent submissions, when the store keeps their keys.</param>
/// <param name="Notifications">What happens in a shared store, told to every process using it.</param>
/// <param name="UploadsDirectory">
/// Where the store keeps uploads as files (SQLite), so that checked uploads wait beside them and custody is a
/// rename; null when uploads live in the database.
/// </param>
public sealed record StoreFeatures(ISubmissionKeyStore? SubmissionKeys, IStoreNotifications? Notifications, string? UploadsDirectory);
