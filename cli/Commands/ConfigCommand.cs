using Ci.Core.Recipes;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci config</c>: the recipe the server will run for the current directory.</summary>
internal sealed class ConfigCommand(CliServices services)
{
    /// <summary>Show the recipe the server will run for this project: install steps, import path, environment, test command.</summary>
    [Command("config")]
    public async Task<int> Config()
    {
        var lines = RenderRecipe(services.WorkingDirectory);
        await services.Streams.Out.WriteAsync(lines);
        return ExitCodes.Success;
    }

    /// <summary>The recipe, one step a line; a bad setting fails with its one-line message, as the job would.</summary>
    internal static string RenderRecipe(string projectDirectory)
    {
        var plan = PythonRecipePlan.Detect(projectDirectory, out var error)
            ?? throw new Ci.Core.Client.CiException($"Bad configuration: {error}");
        return string.Concat(plan.Describe().Select(line => line + "\n"));
    }
}
