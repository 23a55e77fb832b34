using System.Diagnostics;
using System.Globalization;

namespace Ci.Server.Tests.Isolation;

/// <summary>Starting bounded test processes and looking at them through /proc, for the isolation tests.</summary>
internal static class JobCgroupTestProcesses
{
    static readonly Lazy<string> RealPython = new(() => Run(["python3", "-c", "import sys; print(sys.executable)"], TimeSpan.FromSeconds(30)).Output.Trim());

    /// <summary>The python3 binary itself (not pyenv's shim, which would fork under a pids limit).</summary>
    public static string Python => RealPython.Value;

    /// <summary>Runs a command to its end (killed after <paramref name="timeout"/>) and returns exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) Run(IReadOnlyList<string> command, TimeSpan timeout)
    {
        using var process = Start(command);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} ran longer than {timeout}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Starts a command with redirected output, in "/" so a dropped uid can still enter its folder.</summary>
    public static Process Start(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = "/",
        };
        foreach (string argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        return Process.Start(info) ?? throw new InvalidOperationException($"{command[0]} did not start");
    }

    /// <summary>True while a process exists and is not a zombie.</summary>
    public static bool Alive(int pid)
    {
        string[]? fields = StatFields(pid);
        return fields is not null && fields[0] != "Z";
    }

    /// <summary>A process's session id (from /proc/pid/stat), or -1 when it is gone.</summary>
    public static int Session(int pid) => StatFields(pid) is { } fields ? int.Parse(fields[3], CultureInfo.InvariantCulture) : -1;

    /// <summary>The fields of /proc/pid/stat after the command name: state, ppid, pgrp, session, ...</summary>
    static string[]? StatFields(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return true;
    }
}
