using System.Diagnostics;
using System.Text.Json;

namespace Ci.Store.Tests.Admin;

/// <summary>The real ci-admin program (the build output next to these tests): argument parsing, streams, exit codes.</summary>
public class AdminProcessTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Db_works_before_and_after_the_command()
    {
        await using var admin = new AdminHarness();

        var created = await RunAsync(["--db", admin.DbPath, "user", "create", "--name", "Ada", "--email", "ada@example.com"]);
        var listed = await RunAsync(["user", "list", "--json", "--db", admin.DbPath]);

        Assert.Equal((0, ""), (created.ExitCode, created.Error));
        Assert.Contains("✓ User created successfully", created.Out);
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal("ada@example.com", JsonDocument.Parse(listed.Out).RootElement[0].GetProperty("email").GetString());
    }

    [Fact]
    public async Task CI_DB_PATH_is_used_without_db_and_db_overrides_it()
    {
        await using var admin = new AdminHarness();
        await using var other = new AdminHarness();
        var environment = new Dictionary<string, string> { ["CI_DB_PATH"] = admin.DbPath };

        await RunAsync(["user", "create", "--name", "Ada", "--email", "ada@example.com"], environment);
        var fromEnvironment = await RunAsync(["user", "list"], environment);
        var overridden = await RunAsync(["user", "list", "--db", other.DbPath], environment);

        Assert.Contains("ada@example.com", fromEnvironment.Out);
        Assert.Equal("No users found.", overridden.Out.Trim());
    }

    [Fact]
    public async Task Errors_are_one_line_on_stderr_with_exit_code_1()
    {
        await using var admin = new AdminHarness();

        var invalid = await RunAsync(["user", "create", "--name", "Ada", "--email", "nope", "--db", admin.DbPath]);
        var missing = await RunAsync(["user", "create", "--name", "Ada", "--db", admin.DbPath]);
        var unknownOption = await RunAsync(["key", "list", "--bogus", "--db", admin.DbPath]);
        var usage = await RunAsync(["user", "get", "--db", admin.DbPath]);

        Assert.Equal((1, "", "Error: Invalid email format: nope"), (invalid.ExitCode, invalid.Out, invalid.Error.TrimEnd()));
        foreach (var result in new[] { missing, unknownOption, usage })
        {
            Assert.Equal((1, ""), (result.ExitCode, result.Out));
            Assert.StartsWith("Error: ", result.Error);
            Assert.Single(result.Error.TrimEnd().Split('\n'));
        }
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var result = await RunAsync(["--version"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Out.Trim());
    }

    [Fact]
    public async Task Help_lists_exactly_the_known_commands()
    {
        var result = await RunAsync(["--help"]);

        Assert.Equal(0, result.ExitCode);
        var listed = result.Out.Split('\n').SkipWhile(l => l.Trim() != "Commands:").Skip(1)
            .Where(l => l.Trim().Length > 0)
            .Select(l => string.Join(' ', l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]));
        Assert.Equal(Ci.Admin.AdminCommands.All.Select(c => c.Path).Order(), listed.Order());
    }

    [Theory]
    [InlineData("bogus", "bogus")]
    [InlineData("user lsit", "user lsit")]
    [InlineData("keys list", "keys")]
    public async Task An_unknown_command_is_an_error_not_help(string command, string unknown)
    {
        await using var admin = new AdminHarness();

        var result = await RunAsync([.. command.Split(' '), "--db", admin.DbPath]);

        Assert.Equal((1, ""), (result.ExitCode, result.Out));
        Assert.StartsWith($"Error: Unknown command: {unknown}", result.Error);
    }

    [Theory]
    [InlineData("user --help")]
    [InlineData("key --help")]
    [InlineData("user create --help")]
    public async Task Help_for_a_group_or_a_command_exits_0(string command)
    {
        var result = await RunAsync(command.Split(' '));

        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        Assert.StartsWith("Usage: ci-admin ", result.Out);
    }

    sealed record ProcessResult(int ExitCode, string Out, string Error);

    static async Task<ProcessResult> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "ci-admin.exe" : "ci-admin");
        var start = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "ci-admin.dll") } };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.StandardOutputEncoding = System.Text.Encoding.UTF8;
        start.Environment.Remove("CI_DB_PATH");
        // Never touch the real default database of whoever runs the tests.
        start.Environment["XDG_DATA_HOME"] = Path.Combine(Path.GetTempPath(), "ci-admin-tests-xdg");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return new ProcessResult(process.ExitCode, (await output).ReplaceLineEndings("\n"), (await error).ReplaceLineEndings("\n"));
    }
}
