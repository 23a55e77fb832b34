using Ci.Server.Services;

namespace Ci.Server.Tests.Services;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServiceCatalogTests
{
    [Fact]
    public void This_host_offers_postgresql_and_redis()
    {
        var catalog = ServiceCatalog.Probe(Environment.GetEnvironmentVariable("PATH") ?? "", "/usr/lib/postgresql");

        Assert.Equal(["postgresql", "redis"], catalog.Available);
        Assert.True(File.Exists(Path.Combine(catalog.PostgresBin!, "initdb")));
        Assert.Equal("postgresql, redis", catalog.Describe());
    }

    [Fact]
    public void A_host_without_the_programs_offers_nothing()
    {
        using var folder = new ServiceTestFolder();

        var catalog = ServiceCatalog.Probe(folder.Path, Path.Combine(folder.Path, "missing"));

        Assert.Empty(catalog.Available);
        Assert.Equal("none", catalog.Describe());
    }

    [Fact]
    public void Offered_services_pass_validation()
    {
        Assert.Null(new ServiceCatalog("/pg/bin", "/bin/redis-server").Validate(["redis", "postgresql"]));
        Assert.Null(new ServiceCatalog(null, null).Validate([]));
    }

    [Theory]
    [InlineData("mysql", "unknown service 'mysql'; this server offers: redis.")]
    [InlineData("postgresql", "service 'postgresql' is not installed on this server; this server offers: redis.")]
    public void A_service_the_server_cannot_start_is_named_with_the_services_it_offers(string requested, string message)
    {
        var catalog = new ServiceCatalog(postgresBin: null, redisServer: "/usr/bin/redis-server");

        Assert.Equal(message, catalog.Validate(["redis", requested]));
    }

    [Fact]
    public void A_server_without_services_says_so()
    {
        Assert.Equal("unknown service 'mongo'; this server offers no services.", new ServiceCatalog(null, null).Validate(["mongo"]));
    }
}
