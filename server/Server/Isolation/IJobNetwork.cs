namespace Ci.Server.Isolation;

/// <summary>
/// A job's own network namespace, however it was made: by a root server (<see cref="JobNetwork"/>, <c>ip netns</c>)
/// or inside a user namespace a server that is not root owns (<see cref="OwnedJobNetwork"/>). Disposing removes it
/// and stops its pasta; never throws.
/// </summary>
internal interface IJobNetwork : IDisposable
{
    /// <summary>The command prefix that runs the rest of a command line inside the namespace, as the job.</summary>
    IReadOnlyList<string> EnterCommand { get; }

    /// <summary>The job's <c>/etc/resolv.conf</c> (outbound only; <see cref="JobDns"/>), null when the host's serves.</summary>
    string? ResolvConf { get; }
}
