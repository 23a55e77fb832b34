namespace Ci.Server.Services;

/// <summary>
/// The services this server can start for a job (<c>services = [...]</c> in the project settings), found once by
/// looking for their programs: <c>postgresql</c> needs <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c> in one folder
/// (Debian's <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, newest first, then PATH); <c>redis</c> needs
/// <c>redis-server</c> on PATH.
/// </summary>
public sealed class ServiceCatalog
{
    /// <summary>The name of the PostgreSQL service in project settings.</summary>
    public const string PostgreSql = "postgresql";

    /// <summary>The name of the Redis service in project settings.</summary>
    public const string Redis = "redis";

    /// <summary>Every service name this version of ci knows, whether or not this host has its programs.</summary>
    public static IReadOnlyList<string> Known { get; } = [PostgreSql, Redis];

    private static readonly Lazy<ServiceCatalog> s_host = new(() => Probe(
        Environment.GetEnvironmentVariable("PATH") ?? "", "/usr/lib/postgresql"));

    /// <summary>Creates a catalog from programs already found (tests, or a caller that probed itself).</summary>
    /// <param name="postgresBin">The folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>, or null.</param>
    /// <param name="redisServer">The <c>redis-server</c> program, or null.</param>
    public ServiceCatalog(string? postgresBin, string? redisServer)
    {
        PostgresBin = postgresBin;
        RedisServer = redisServer;
        var available = new List<string>();
        if (postgresBin is not null) available.Add(PostgreSql);
        if (redisServer is not null) available.Add(Redis);
        Available = available;
    }

    /// <summary>This host's services, probed on first use and then remembered for the life of the process.</summary>
    public static ServiceCatalog Host => s_host.Value;

    /// <summary>The PostgreSQL programs folder, or null when PostgreSQL is not available.</summary>
    public string? PostgresBin { get; }

    /// <summary>The <c>redis-server</c> program, or null when Redis is not available.</summary>
    public string? RedisServer { get; }

    /// <summary>The services this server offers, in a fixed order: for <c>--help</c> and <c>/health</c>.</summary>
    public IReadOnlyList<string> Available { get; }

    /// <summary>One line for <c>--help</c>: <c>postgresql, redis</c>, or <c>none</c>.</summary>
    public string Describe() => Available.Count == 0 ? "none" : string.Join(", ", Available);

    /// <summary>Looks for the services' programs in <paramref name="path"/> and under <paramref name="postgresRoot"/>.</summary>
    /// <param name="path">A PATH-style list of folders.</param>
    /// <param name="postgresRoot">Where Debian installs PostgreSQL versions (<c>/usr/lib/postgresql</c>).</param>
    public static ServiceCatalog Probe(string path, string postgresRoot)
    {
        ArgumentNullException.ThrowIfNull(path);
        var folders = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var postgresCandidates = new List<string>();
        if (Directory.Exists(postgresRoot))
        {
            postgresCandidates.AddRange(Directory.GetDirectories(postgresRoot)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        postgresCandidates.AddRange(folders);
        var postgresBin = postgresCandidates.FirstOrDefault(d =>
            File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "postgres")));
        var redis = folders.Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        return new ServiceCatalog(postgresBin, redis);
    }

    /// <summary>
    /// Checks a project's <c>services</c> list: null when this server can start every one, otherwise one line that
    /// names the first service it cannot start and the services it offers (the job fails with it).
    /// </summary>
    /// <param name="requested">The names from the project settings.</param>
    public string? Validate(IEnumerable<string> requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        foreach (var name in requested)
        {
            if (Available.Contains(name, StringComparer.Ordinal)) continue;
            var why = Known.Contains(name, StringComparer.Ordinal)
                ? $"service '{name}' is not installed on this server"
                : $"unknown service '{name}'";
            var offered = Available.Count == 0 ? "this server offers no services" : $"this server offers: {Describe()}";
            return $"{why}; {offered}.";
        }
        return null;
    }
}
