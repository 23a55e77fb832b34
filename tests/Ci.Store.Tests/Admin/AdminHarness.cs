using Ci.Admin;
using Ci.Admin.Commands;

namespace Ci.Store.Tests.Admin;

/// <summary>What one ci-admin command did: exit code and everything it wrote.</summary>
sealed record AdminResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Runs ci-admin's commands in-process against a real SQLite file in a temp folder.</summary>
sealed class AdminHarness : IAsyncDisposable
{
    readonly StringWriter output = new();
    readonly StringWriter error = new();
    readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("ci-admin-tests");

    public AdminHarness()
    {
        DbPath = Path.Combine(directory.FullName, "ci.db");
        var console = new AdminConsole(output, error, async ct => await SqliteStore.OpenAsync(DbPath, ct));
        Users = new UserCommands(console);
        Keys = new KeyCommands(console);
    }

    public string DbPath { get; }
    public UserCommands Users { get; }
    public KeyCommands Keys { get; }
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<AdminResult> RunAsync(Func<Task<int>> command)
    {
        output.GetStringBuilder().Clear();
        error.GetStringBuilder().Clear();
        var exitCode = await command();
        return new AdminResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Creates a user through the command and returns its id as printed.</summary>
    public async Task<Guid> CreateUserAsync(string name, string email)
    {
        var result = await RunAsync(() => Users.Create(name, email, Ct));
        Assert.Equal(0, result.ExitCode);
        return Guid.Parse(Field(result, "ID:"));
    }

    /// <summary>The value after <paramref name="label"/> on the line that starts with it.</summary>
    public static string Field(AdminResult result, string label) =>
        result.OutLines.Select(l => l.Trim()).Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();

    public async Task<SqliteStore> OpenStoreAsync() => await SqliteStore.OpenAsync(DbPath, Ct);

    public ValueTask DisposeAsync()
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
