namespace Ci.Core.Zip;

/// <summary>
/// Packs a project directory the way the original client did (<c>create_project_zip</c>): files only
/// (directories are not stored, so empty ones vanish), names relative with forward slashes, the files <see cref="ProjectFiles"/> selects: nothing
/// under a path segment that starts with <c>.</c> (hidden files, <c>.git</c>, <c>.venv</c>) or is
/// <c>__pycache__</c>, nothing a <c>.ciignore</c> or <c>.gitignore</c> excludes. Symbolic links are skipped, files and directories alike, so the zip never holds
/// anything from outside the tree and never loops. Empty files are stored without being opened, so a FIFO,
/// socket or device in the tree (which .NET cannot tell from an empty file) becomes an empty entry instead
/// of blocking or failing the upload. Entries are in ordinal order of their names, so the
/// same tree gives the same entry list.
/// </summary>
public static class ProjectZip
{
    /// <summary>Lists the files that go into the zip, in entry order (see <see cref="ProjectFiles"/>).</summary>
    /// <param name="projectDirectory">The project root.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<ProjectFile> ListFiles(string projectDirectory) => ProjectFiles.Select(projectDirectory).Files;

    /// <summary>
    /// Writes the project's zip to <paramref name="destination"/> as it reads the files, deflating them on
    /// several cores (see <see cref="ZipPacker"/>), so memory stays flat for big projects. The destination need
    /// not be seekable; it receives exactly the bytes <c>ci submit</c> sends to a server without incremental uploads.
    /// </summary>
    /// <param name="projectDirectory">The project root.</param>
    /// <param name="destination">Receives the zip; left open.</param>
    /// <param name="progress">Told after each file, if given.</param>
    /// <param name="cancellationToken">Stops packing.</param>
    public static Task CreateAsync(string projectDirectory, Stream destination,
        IProgress<ProjectZipProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return WriteFilesAsync(ListFiles(projectDirectory), destination, progress, cancellationToken);
    }

    /// <summary>Writes the zip of files already selected (<see cref="ProjectFiles.Files"/>): the bytes a submission sends.</summary>
    /// <param name="files">The files, in entry order.</param>
    /// <param name="destination">Receives the zip; left open.</param>
    /// <param name="progress">Told after each file, if given.</param>
    /// <param name="cancellationToken">Stops packing.</param>
    public static Task WriteFilesAsync(IReadOnlyList<ProjectFile> files, Stream destination,
        IProgress<ProjectZipProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(destination);
        return ZipPacker.WriteAsync(files, destination, progress, cancellationToken);
    }

    /// <summary>The whole zip in memory: the original <c>create_project_zip</c>. Prefer <see cref="CreateAsync"/> for big trees.</summary>
    /// <param name="projectDirectory">The project root.</param>
    /// <param name="cancellationToken">Stops packing.</param>
    public static async Task<byte[]> CreateBytesAsync(string projectDirectory, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await CreateAsync(projectDirectory, buffer, progress: null, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>True when a file or directory name keeps it (and everything under it) out of the zip.</summary>
    /// <param name="name">One path segment.</param>
    public static bool IsExcluded(string name) => ProjectFiles.IsHiddenOrCache(name);
}
