using System.Reflection;
using System.Text;
using Ci.Admin;
using Ci.Admin.Commands;
using Ci.Store;
using ConsoleAppFramework;

// ci-admin: users and API keys, straight on the server's store. `--db PATH|URI` (else $CI_DB_PATH, else the shared
// default of StorePaths) may come before the command or after it: `ci-admin --db X user list` and
// `ci-admin user list --db X` are the same.

if (OperatingSystem.IsWindows())
{
    Console.OutputEncoding = Encoding.UTF8; // for ✓ and ⚠
}

// The framework's own messages (unknown option, missing value) follow our error format, on stderr.
ConsoleApp.LogError = message => Console.Error.WriteLine($"Error: {message}");
// The framework logs only help and the version; its usage lines lack the program's name (it has no setting for it).
ConsoleApp.Log = message => Console.Out.WriteLine(
    message.StartsWith("Usage: ", StringComparison.Ordinal) ? "Usage: ci-admin " + message["Usage: ".Length..] : message);
ConsoleApp.Version = typeof(AdminConsole).Assembly
    .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];

string? dbOption = null;
var console = new AdminConsole(Console.Out, Console.Error,
    async cancellationToken => await StoreLocation.OpenAsync(dbOption, cancellationToken));
ConsoleApp.ServiceProvider = new AdminServices(console);

var app = ConsoleApp.Create();
app.ConfigureGlobalOptions((ref builder) =>
{
    dbOption = builder.AddGlobalOption<string?>("--db",
        "SQLite database file or postgresql://user@host:port/dbname URI (default: $CI_DB_PATH, else ~/.local/share/ci/ci.db)");
    return dbOption ?? "";
});
app.Add<UserCommands>("user");
app.Add<KeyCommands>("key");
args = AdminArguments.Normalize(args);
if (AdminCommandNames.FindUnknown(args) is { } unknown)
{
    return console.Fail($"Unknown command: {unknown} (see ci-admin --help)");
}
await app.RunAsync(args);
return Environment.ExitCode;
