namespace Ci.Server.Tests.Runner;

/// <summary>Small Python projects to submit. Code in <c>pytest_sessionstart</c> runs while pytest does not capture output.</summary>
static class Projects
{
    public static Dictionary<string, string> Passing => new() { ["test_ok.py"] = "def test_ok():\n    assert 1 + 1 == 2\n" };

    public static Dictionary<string, string> Failing => new() { ["test_bad.py"] = "def test_bad():\n    assert 1 + 1 == 3\n" };

    public static Dictionary<string, string> SyntaxError => new() { ["test_broken.py"] = "def test_broken(:\n    pass\n" };

    /// <summary>A requirement pip refuses at once, without any network.</summary>
    public static Dictionary<string, string> MissingRequirement => new()
    {
        ["requirements.txt"] = "./does-not-exist\n",
        ["test_ok.py"] = "def test_ok():\n    pass\n",
    };

    /// <summary>A passing project whose session start runs <paramref name="python"/> (indented by four spaces).</summary>
    public static Dictionary<string, string> WithSessionStart(string python, string? test = null) => new()
    {
        ["conftest.py"] = "import os, subprocess, sys, time\n\ndef pytest_sessionstart(session):\n" + Indent(python),
        ["test_it.py"] = test ?? "def test_ok():\n    pass\n",
    };

    /// <summary>
    /// Starts two long-lived processes carrying <paramref name="marker"/> on their command line: one child and one that
    /// escapes into its own session, then sleeps in a test so the job must be stopped.
    /// </summary>
    public static Dictionary<string, string> SpawnsLongLivedChildren(string marker) => WithSessionStart(
        $"""
        subprocess.Popen(["sh", "-c", "sleep 300; echo {marker}-child"])
        subprocess.Popen(["sh", "-c", "sleep 300; echo {marker}-escaped"], start_new_session=True)
        print("children started", flush=True)
        """,
        "import time\n\ndef test_sleeps():\n    time.sleep(300)\n");

    /// <summary>
    /// Session-start Python that leaves behind a process in a new session, its own process group and an environment
    /// without CI_JOB_ID (only the job's cgroup still knows it), waits until it runs, and says "escaped process started".
    /// </summary>
    public static string EscapeIntoNewSession(string marker) =>
        $$"""
        subprocess.Popen(["/bin/sh", "-c", "sleep 120; echo {{marker}}"], start_new_session=True, env={"PATH": "/usr/bin:/bin"},
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def running():
            for p in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if "{{marker}}" in open(f"/proc/{p}/cmdline").read():
                        return True
                except OSError:
                    pass
            return False
        deadline = time.time() + 20
        while time.time() < deadline and not running():
            time.sleep(0.05)
        print("escaped process started", flush=True)
        """;

    static string Indent(string code) => string.Concat(code.Split('\n').Select(line => "    " + line + "\n"));
}
