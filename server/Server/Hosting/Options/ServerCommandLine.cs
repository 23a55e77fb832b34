using System.Text;

namespace Ci.Server.Hosting.Options;

/// <summary>
/// ci-server's command line: the option tables of every concern, parsed into <see cref="ServerOptions"/> and
/// printed as <c>--help</c> from the same rows.
/// </summary>
public static class ServerCommandLine
{
    // The help's two columns: "  --flag VALUE" padded to this width, two spaces, then the text.
    private const int FlagColumnWidth = 22;

    /// <summary>Every option, in the order the help lists them.</summary>
    public static IReadOnlyList<OptionSpec> Options { get; } =
        [.. ListenOptionTable.Options, .. UploadOptionTable.Options, .. ApiOptionTable.Options, .. RetentionOptionTable.Options, .. ProxyOptionTable.Options, .. RunnerOptionTable.Options, .. QueueOptionTable.Options, .. HostOptionTable.Options];

    private static readonly Dictionary<string, OptionSpec> s_byFlag = Options.ToDictionary(o => o.Flag, StringComparer.Ordinal);

    /// <summary>The <c>--help</c> text.</summary>
    public static string Usage { get; } = BuildUsage();

    /// <summary>Parses the command line; never throws.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var options = new ServerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
                return new CommandLine.ShowText(Usage);
            if (arg == "--version")
                return new CommandLine.ShowText($"ci-server {typeof(ServerOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}");

            var (name, inlineValue) = arg.IndexOf('=') is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (!name.StartsWith("--", StringComparison.Ordinal))
                return new CommandLine.Invalid($"unexpected argument '{arg}' (see --help)");
            if (!s_byFlag.TryGetValue(name, out var spec))
                return new CommandLine.Invalid($"unknown option {name} (see --help)");
            string value;
            if (inlineValue is not null)
                value = inlineValue;
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                return new CommandLine.Invalid($"option {name} needs a value");

            try
            {
                options = spec.Apply(options, value);
            }
            catch (FormatException e)
            {
                return new CommandLine.Invalid(e.Message);
            }
        }
        if (options.Metrics == Metrics.MetricsAccess.Bearer)
        {
            options = options with { MetricsToken = Environment.GetEnvironmentVariable(ApiOptionTable.MetricsTokenVariable) };
            if (string.IsNullOrWhiteSpace(options.MetricsToken))
                return new CommandLine.Invalid($"--metrics bearer needs the token in the {ApiOptionTable.MetricsTokenVariable} environment variable");
        }
        return new CommandLine.Run(options);
    }

    private static string BuildUsage()
    {
        var usage = new StringBuilder("""
            Usage: ci-server [options]

            Serves the ci HTTP API and runs submitted jobs. With a PostgreSQL store, several API replicas
            (--role api) and runners (--role runner) on different hosts can share one database.

            Options:
            """);
        foreach (var option in Options)
            AppendLine(usage, $"{option.Flag} {option.Value}", option.FormattedHelp);
        AppendLine(usage, "--help", "show this help");
        AppendLine(usage, "--version", "show the version");
        usage.Append("\n\nServices jobs may ask for (services = [...]): ").Append(Services.ServiceCatalog.Host.Describe());
        return usage.ToString().TrimEnd('\n');
    }

    private static void AppendLine(StringBuilder usage, string flag, string help)
    {
        var lines = help.Split('\n');
        usage.Append('\n').Append("  ").Append(flag.PadRight(FlagColumnWidth)).Append("  ").Append(lines[0]);
        foreach (var line in lines.Skip(1))
            usage.Append('\n').Append(' ', 2 + FlagColumnWidth + 2).Append(line);
    }
}
