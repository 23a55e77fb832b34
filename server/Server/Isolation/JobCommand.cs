namespace Ci.Server.Isolation;

/// <summary>One program a job runs, and what it may touch.</summary>
/// <param name="Program">The executable (absolute path, or a name looked up on the job's PATH).</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="WorkingDirectory">Where it starts.</param>
/// <param name="Environment">Its whole environment: nothing of the server's is inherited.</param>
/// <param name="WritableFolders">Folders the job may write (its own folder); a sandbox hides everything else that is not system.</param>
/// <param name="ReadOnlyFolders">Extra folders the job must read (the Python installation when it is outside /usr).</param>
/// <param name="EnterNetwork">The command prefix that enters the job's network namespace (<see cref="JobNetwork"/>); null for the host's.</param>
/// <param name="RunAs">The user this program runs as instead of the sandbox's (a cached environment's build identity).</param>
/// <param name="PathMap">
/// Host folders the sandbox shows at fixed paths (the workspace at <c>/ci</c>): every host path in the command, its
/// arguments and its environment is rewritten to the job's, so no path of the server's reaches the job.
/// </param>
/// <param name="Mounts">
/// Folders shown at another path (a cached environment at its fixed path); without a sandbox the source is used in
/// place, so there the target must be the source.
/// </param>
internal sealed record JobCommand(
    string Program,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string> WritableFolders,
    IReadOnlyList<string> ReadOnlyFolders,
    IReadOnlyList<string>? EnterNetwork = null,
    IReadOnlyList<FolderMount>? Mounts = null,
    JobUser? RunAs = null,
    IReadOnlyList<FolderMount>? PathMap = null);
