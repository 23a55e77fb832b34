using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

namespace Ci.Tests.Shared;

/// <summary>The stores every store-backed suite runs against.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Runs a theory once per <see cref="StoreKind"/>, the store kind first and then <paramref name="values"/>: one suite,
/// parameterised by store. Repeat the attribute for more rows.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class StoresAttribute(params object?[] values) : DataAttribute
{
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker) =>
        new([.. Enum.GetValues<StoreKind>().Select(kind => (ITheoryDataRow)new TheoryDataRow([kind, .. values]))]);

    public override bool SupportsDiscoveryEnumeration() => true;
}
