using Ci.Server.Jobs;
using Ci.Server.Recipes.Environments;

namespace Ci.Server.Recipes;

/// <summary>The environment a job's tests run in: a cache lease (null for one built in the workspace), or why there is none.</summary>
internal sealed record PreparedEnvironment(EnvironmentLease? Lease, JobOutcome? Failure);
