using Ci.Admin;
using Ci.Tests.Shared;

namespace Ci.Store.Tests.Admin;

/// <summary>What one ci-admin command did: exit code and everything it wrote.</summary>
sealed record AdminResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}
