using Ci.Core.Zip;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci pack --output FILE</c>: write the archive <c>submit</c> would upload.</summary>
internal sealed class PackCommand(CliServices services)
{
    /// <summary>Write the zip that 'ci submit test' would upload from the current directory, without sending it.</summary>
    /// <param name="output">The zip file to write (replaced if it exists).</param>
    /// <param name="cancellationToken">Ctrl+C: stop packing (the partial file is removed).</param>
    [Command("pack")]
    public async Task<int> Pack([HideDefaultValue] string? output = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(output))
            throw new ArgumentParseFailedException("Required option '--output' was not specified.");
        var files = ProjectZip.ListFiles(services.WorkingDirectory);
        var path = Path.GetFullPath(output, services.WorkingDirectory);
        // Written beside the target and renamed, so an interrupted pack never leaves half a zip under the name.
        var partial = path + ".partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
                await ProjectZip.WriteFilesAsync(files, file, progress: null, cancellationToken);
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
        await services.Streams.Out.WriteLineAsync($"Wrote {output}: {files.Count} files, {new FileInfo(path).Length} bytes.");
        return ExitCodes.Success;
    }
}
