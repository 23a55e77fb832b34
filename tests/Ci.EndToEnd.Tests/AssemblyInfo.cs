[assembly: AssemblyFixture(typeof(Ci.Tests.Shared.PostgresClusterFixture))]
