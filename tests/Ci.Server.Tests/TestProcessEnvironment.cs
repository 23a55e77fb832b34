using System.Runtime.CompilerServices;

namespace Ci.Server.Tests;

/// <summary>
/// Variables of the test process that jobs see, set once before any test runs. A runner reads the server's PIP_*
/// settings for every job (they pass through to jobs and are part of the environment cache's key), so one test
/// setting them while another runs two jobs would change the second job's key under it: that made the cache
/// isolation test flaky when the sandbox test ran beside it.
/// </summary>
internal static class TestProcessEnvironment
{
    [ModuleInitializer]
    internal static void Set()
    {
        // Keep pip off the network (no index, no isolated build environment to download): every job here must work offline.
        Environment.SetEnvironmentVariable("PIP_NO_INDEX", "1");
        Environment.SetEnvironmentVariable("PIP_NO_BUILD_ISOLATION", "0");
        // SandboxTests: a PIP_* setting passes through to jobs, anything else of the server's does not.
        Environment.SetEnvironmentVariable("PIP_RUNNER_TEST_SETTING", "passes-through");
        Environment.SetEnvironmentVariable("CI_RUNNER_TEST_SECRET", "must-not-leak");
    }
}
