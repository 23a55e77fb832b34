using Npgsql;

namespace Ci.Store.Postgres;

/// <summary>
/// <c>postgresql://</c> / <c>postgres://</c> URIs (libpq's form, which Npgsql does not read) to an Npgsql connection
/// string. Query parameters pass through by their Npgsql or libpq-style name (<c>sslmode=require</c>,
/// <c>host=/run/postgresql</c>).
/// </summary>
static class PostgresUri
{
    public static (string ConnectionString, string Description) Parse(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres"))
            throw new StoreUnavailableException($"Invalid PostgreSQL URI '{Redact(text)}': expected postgresql://user@host:port/dbname.");
        var builder = new NpgsqlConnectionStringBuilder();
        if (!string.IsNullOrEmpty(uri.Host)) builder.Host = uri.Host.Trim('[', ']');
        if (!uri.IsDefaultPort && uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                builder[LibpqNames.GetValueOrDefault(key, key)] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new StoreUnavailableException($"Invalid PostgreSQL URI parameter '{key}': {e.Message}");
            }
        }
        // Replicas come and go behind a load balancer; a dead connection must not hang a request for long.
        if (!builder.ContainsKey("Timeout") || builder.Timeout == 15) builder.Timeout = 10;
        builder.ApplicationName ??= "ci-server";
        var port = builder.Port == NpgsqlConnection.DefaultPort ? "" : $":{builder.Port}";
        return (builder.ConnectionString, $"postgresql://{builder.Username}{(builder.Username is null ? "" : "@")}{builder.Host}{port}/{builder.Database}");
    }

    // libpq's names that differ from Npgsql's.
    static readonly Dictionary<string, string> LibpqNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
    };

    static string Redact(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, "://([^:@/]*):[^@/]*@", "://$1:***@");
}
