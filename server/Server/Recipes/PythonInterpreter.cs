using System.Diagnostics;

namespace Ci.Server.Recipes;

/// <summary>
/// The Python jobs run with, resolved once at start-up. <c>python3</c> may be a pyenv shim (a shell script that needs
/// the server's environment), so jobs use the real executable, and the sandbox binds its installation folder.
/// </summary>
/// <param name="Command">What the operator configured (<c>python3</c>, <c>/usr/bin/python3</c>, ...).</param>
/// <param name="Executable">The interpreter's real path, symlinks resolved.</param>
/// <param name="InstallationFolder">Its <c>sys.base_prefix</c>: the folder a sandbox must show to the job.</param>
/// <param name="Version">Its <c>sys.version</c> (part of a cached environment's key).</param>
public sealed record PythonInterpreter(string Command, string Executable, string InstallationFolder, string Version)
{
    private const string Probe =
        "import os, sys; print(os.path.realpath(sys.executable)); print(os.path.realpath(sys.base_prefix)); print(sys.version.replace('\\n', ' '))";

    /// <summary>Asks the configured Python where it lives; null with a reason when it cannot be run.</summary>
    public static async Task<(PythonInterpreter? Python, string? Error)> ResolveAsync(string command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Probe);
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return (null, $"Python '{command}' did not answer within 30 seconds.");
            }
            var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (process.ExitCode != 0 || lines.Length < 3)
            {
                var reason = (await errors).Trim().Split('\n').LastOrDefault() ?? "";
                return (null, $"Python '{command}' does not work (exit code {process.ExitCode}): {reason}");
            }
            return (new PythonInterpreter(command, lines[0], lines[1], lines[2]), null);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (null, $"Python '{command}' cannot be started: {exception.Message}");
        }
    }
}
