using Ci.Cli.Output;
using Ci.Cli.Terminal;
using Ci.CommandLine;
using Ci.Core.Client;
using Ci.Core.Zip;
using ConsoleAppFramework;

namespace Ci.Cli.Commands;

/// <summary><c>ci pack --output FILE</c>: write the archive <c>submit</c> would upload.</summary>
internal sealed class PackCommand(CliServices services)
{
    /// <summary>Write the zip that 'ci submit test' would upload from the current directory, without sending it.</summary>
    /// <param name="output">The zip file to write (replaced if it exists).</param>
    /// <param name="json">Print what was written as JSON.</param>
    /// <param name="cancellationToken">Ctrl+C: stop packing (the partial file is removed).</param>
    [Command("pack")]
    public async Task<int> Pack([HideDefaultValue] string? output = null, bool json = false, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(output))
            throw new ArgumentParseFailedException("Required option '--output' was not specified.");
        var streams = services.Streams;
        var selection = ProjectFiles.Select(services.WorkingDirectory);
        if (selection.Files.Count == 0)
            throw new CiNothingToUploadException(selection);

        var path = Path.GetFullPath(output, services.WorkingDirectory);
        // Written beside the target and renamed, so an interrupted pack never leaves half a zip under the name.
        var partial = path + ".partial";
        long zipBytes;
        using (var progress = TransferProgress.For(streams, "Packing"))
        {
            try
            {
                await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                {
                    await ProjectZip.WriteFilesAsync(selection.Files, file, progress, cancellationToken);
                    zipBytes = file.Length;
                }
                File.Move(partial, path, overwrite: true);
            }
            catch
            {
                File.Delete(partial);
                throw;
            }
        }
        var report = new PackReport(path, selection.Files.Count, selection.TotalBytes, zipBytes);
        await streams.Out.WriteAsync(json
            ? CliJson.Serialize(report)
            : $"Wrote {output}: {report.FileCount} file{(report.FileCount == 1 ? "" : "s")}, {TransferProgress.Size(report.TotalBytes)} ({TransferProgress.Size(report.ZipBytes)} zipped).\n");
        return ExitCodes.Success;
    }
}
