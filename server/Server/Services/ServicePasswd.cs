using Ci.Server.Isolation;

namespace Ci.Server.Services;

/// <summary>
/// PostgreSQL (initdb, postgres) refuses to run as a uid it cannot look up, and a job slot's uid has no entry in the
/// host's <c>/etc/passwd</c> (none is needed by anything else). A service's sandbox therefore sees, at
/// <c>/etc/passwd</c>, the host's file plus one line for the slot's uid; the host's file is never changed.
/// </summary>
internal static class ServicePasswd
{
    private static readonly Lock s_write = new();

    /// <summary>A read-only mount of a passwd file naming <paramref name="uid"/> (written once per uid, by the server).</summary>
    public static FolderMount For(uint uid, uint gid)
    {
        var folder = Path.Combine(Path.GetTempPath(), "ci-service-passwd");
        var path = Path.Combine(folder, $"passwd-{uid}");
        lock (s_write)
        {
            Directory.CreateDirectory(folder);
            var host = File.Exists("/etc/passwd") ? File.ReadAllText("/etc/passwd") : "";
            var entry = $"ci-job-{uid}:x:{uid}:{gid}:ci job:/tmp:/bin/sh\n";
            var text = host.Split('\n').Any(line => line.Split(':') is [_, _, var id, ..] && id == uid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ? host
                : host.TrimEnd('\n') + "\n" + entry;
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, text);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temporary, path, overwrite: true);
        }
        return new FolderMount(path, "/etc/passwd", Writable: false);
    }
}
