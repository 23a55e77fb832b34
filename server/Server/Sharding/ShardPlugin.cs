using System.Text;

namespace Ci.Server.Sharding;

/// <summary>
/// ci's pytest plugin for sharding (pytest 7.0 or later): with <see cref="CollectToVariable"/> set it writes the
/// collected test ids to that file, one per line; with <see cref="SelectFromVariable"/> set it keeps only the tests
/// whose ids that file lists (a shard) and does not even import test files that hold none of them.
/// </summary>
/// <remarks>
/// Why a plugin rather than node ids as arguments: pytest before 8.2 has no <c>@argsfile</c> (Debian 12 ships 7.2), many
/// ids overflow ARG_MAX, and a project's own test command (<c>test = "pytest -m 'not slow'"</c>) takes no extra
/// arguments; but every pytest reads <c>PYTEST_ADDOPTS</c>. Why not <c>--collect-only -q</c>'s output: an
/// <c>addopts = -v</c> in the project's configuration turns it into a tree, and plugins may print there. Ids are
/// compared as pytest builds them (relative to its rootdir) in both runs, so they match whatever the working folder.
/// </remarks>
public static class ShardPlugin
{
    /// <summary>The plugin's module name, for <c>-p</c>.</summary>
    public const string ModuleName = "_ci_shard";

    /// <summary>The plugin's file name in its folder.</summary>
    public const string FileName = ModuleName + ".py";

    /// <summary>The variable naming the file the plugin writes the collected ids into.</summary>
    public const string CollectToVariable = "CI_SHARD_COLLECT_TO";

    /// <summary>The variable naming the file of ids the plugin keeps.</summary>
    public const string SelectFromVariable = "CI_SHARD_SELECT_FROM";

    /// <summary>Writes the plugin into <paramref name="folder"/> (created if missing); returns the file's path.</summary>
    /// <remarks>The folder must be visible to the job (bound read-only into its sandbox) at the path given to <see cref="AddTo"/>.</remarks>
    public static string WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        File.WriteAllText(path, Source, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    /// <summary>
    /// Loads the plugin into every pytest the job's test command starts: puts <paramref name="pluginFolder"/> (as the job
    /// sees it) last on <c>PYTHONPATH</c> and appends <c>-p _ci_shard</c> to <c>PYTEST_ADDOPTS</c>, keeping what is there.
    /// </summary>
    public static void AddTo(IDictionary<string, string> environment, string pluginFolder)
    {
        Append(environment, "PYTHONPATH", pluginFolder, ":");
        AppendOptions(environment, $"-p {ModuleName}");
    }

    /// <summary>Appends options to <c>PYTEST_ADDOPTS</c> (which pytest splits like a POSIX shell).</summary>
    internal static void AppendOptions(IDictionary<string, string> environment, string options) =>
        Append(environment, "PYTEST_ADDOPTS", options, " ");

    private static void Append(IDictionary<string, string> environment, string name, string value, string separator) =>
        environment[name] = environment.TryGetValue(name, out var existing) && existing.Length > 0 ? existing + separator + value : value;

    /// <summary>The plugin's Python source.</summary>
    public const string Source = """
        # ci's test sharding plugin (written by the ci server; loaded with -p _ci_shard).
        import os

        _collect_to = os.environ.get("CI_SHARD_COLLECT_TO")
        _select_from = os.environ.get("CI_SHARD_SELECT_FROM")
        _selected = None
        _paths = set()
        _folders = set()


        def _read_selection():
            global _selected
            _selected = set()
            with open(_select_from, encoding="utf-8", newline="\n") as ids:
                for line in ids:
                    test_id = line[:-1] if line.endswith("\n") else line
                    if test_id:
                        _selected.add(test_id)
            for test_id in _selected:
                path = test_id.split("::", 1)[0]
                _paths.add(path)
                # Every folder above a selected file must still be walked.
                parts = path.split("/")
                for end in range(len(parts)):
                    _folders.add("/".join(parts[:end]) or ".")


        def pytest_configure(config):
            if _select_from:
                _read_selection()


        def pytest_ignore_collect(collection_path, config):
            # Skips files and folders that hold no selected test, so that a shard imports only its own modules.
            # Returns None (not False) to leave the decision to the other plugins.
            if _selected is None or collection_path.name in ("conftest.py", "__init__.py"):
                return None
            try:
                relative = collection_path.relative_to(config.rootpath).as_posix()
            except ValueError:
                return None
            if relative in _paths or relative in _folders:
                return None
            parts = relative.split("/")
            for end in range(1, len(parts)):
                if "/".join(parts[:end]) in _paths:
                    return None
            return True


        def pytest_collection_modifyitems(session, config, items):
            if _selected is None:
                return
            kept = [item for item in items if item.nodeid in _selected]
            dropped = [item for item in items if item.nodeid not in _selected]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = kept


        def pytest_report_collectionfinish(config, items):
            if _selected is None:
                return None
            missing = len(_selected) - len(items)
            if missing > 0:
                return "ci shard: %d of this shard's tests were not collected" % missing
            return None


        def pytest_collection_finish(session):
            if _collect_to:
                with open(_collect_to, "w", encoding="utf-8", newline="\n") as ids:
                    for item in session.items:
                        ids.write(item.nodeid + "\n")
        """;
}
