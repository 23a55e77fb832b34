namespace Ci.Server.Recipes;

/// <summary>
/// A pytest plugin of ours, written into every job environment and loaded by the recipe's <c>pytest -v</c>
/// (<c>-p ci_pytest_header</c>). Under <c>-v</c>, hypothesis' pytest plugin (Debian's python3-hypothesis registers it for
/// every pytest on the machine) imports all of hypothesis just to print its profile in the header, about 80 ms of CPU
/// per run on a quiet machine, in every job, shard and collection, whether the project uses hypothesis or not; with
/// <c>-q</c> it does so only when hypothesis is already imported. This plugin gives <c>-v</c> the same rule: the header line
/// is printed when a conftest imported hypothesis, else left out. Nothing else changes: the per-test lines, the
/// hypothesis plugin's options, markers and checks are all as before.
/// </summary>
internal static class PytestHeaderPlugin
{
    /// <summary>The module name given to <c>-p</c>.</summary>
    public const string ModuleName = "ci_pytest_header";

    /// <summary>The module's source (written into the environment's site-packages).</summary>
    public const string Source = """
        # Written by ci: lets pytest -v skip importing hypothesis for its header line when nothing imported it yet.
        import sys


        def pytest_configure(config):
            for impl in config.pluginmanager.hook.pytest_report_header.get_hookimpls():
                if impl.plugin_name == "hypothesispytest":
                    original = impl.function

                    def header(*args, _original=original):
                        return _original(*args) if "hypothesis" in sys.modules else None

                    impl.function = header

        """;
}
