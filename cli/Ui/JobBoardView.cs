using System.Globalization;
using Ci.Cli.Commands;
using Ci.Cli.Terminal;
using Ci.Core.Protocol;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ci.Cli.Ui;

/// <summary>Draws a <see cref="JobBoard"/> as one screen: a title line, the job table or the open log, and a key/prompt line.</summary>
internal static class JobBoardView
{
    private static readonly Style Dim = new(Color.Grey);
    private static readonly Style Selected = new(decoration: Decoration.Invert);

    /// <summary>The whole screen for a terminal of <paramref name="width"/> by <paramref name="height"/>.</summary>
    public static IRenderable Render(JobBoard board, string server, int width, int height)
    {
        // One line less than the terminal: a live display keeps the last line for its cursor. Lines are cut to the
        // width, never wrapped, so the footer stays on the bottom line.
        var bodyHeight = Math.Max(1, height - 3);
        var body = board.LogJobId is { } jobId ? RenderLog(board, jobId, bodyHeight, width) : RenderList(board, bodyHeight, width);
        while (body.Count < bodyHeight)
            body.Add(new Text(""));
        return new Rows([Title(board, server, width), .. body, Footer(board, width)]);
    }

    private static IRenderable Title(JobBoard board, string server, int width)
    {
        var filter = board.Filter is { } status ? $"  status: {status.ToWire()}" : "";
        var updated = board.UpdatedAt is { } t ? "  updated " + t.ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "";
        var text = board.LogJobId is { } jobId
            ? $"ci ui  {server}  log of {jobId}"
            : $"ci ui  {server}  {board.Visible.Count} job{(board.Visible.Count == 1 ? "" : "s")}{filter}{updated}";
        return new Text(Fit(text, width), new Style(decoration: Decoration.Bold));
    }

    private static List<IRenderable> RenderList(JobBoard board, int height, int width)
    {
        var lines = new List<IRenderable> { new Text(Fit(ListCommand.Row("JOB ID", "STATUS", "START TIME", "END TIME", "SUCCESS"), width), Dim) };
        if (board.Visible.Count == 0)
        {
            lines.Add(new Text(board.Filter is null ? "No jobs found." : "No jobs with this status.", Dim));
        }
        // Scrolls so that the selected row is always on screen.
        var rows = Math.Max(1, height - 1);
        var first = Math.Clamp(board.Selected - rows + 1, 0, Math.Max(0, board.Visible.Count - rows));
        foreach (var (job, index) in board.Visible.Select((job, index) => (job, index)).Skip(first).Take(rows))
        {
            var success = job.Success switch { true => "✓", false => "✗", null => "-" };
            // The columns of `ci list`, so the two read alike.
            var row = ListCommand.Row(job.JobId, job.Status.ToWire(), ListCommand.Time(job.StartTime), ListCommand.Time(job.EndTime), success);
            row = Fit(row, width);
            lines.Add(index == board.Selected ? new Text(row, Selected) : new Text(row, new Style(StatusColor(job))));
        }
        return lines;
    }

    private static List<IRenderable> RenderLog(JobBoard board, string jobId, int height, int width)
    {
        var status = board.Log.Success switch
        {
            true => new Text("── passed ──", new Style(Color.Green)),
            false => new Text("── failed ──", new Style(Color.Red)),
            null => new Text(Fit($"── {jobId}: streaming… ──", width), Dim),
        };
        var lines = board.Log.Tail(Math.Max(1, height - 1), board.LogScroll).Select(line => (IRenderable)new Text(Fit(line, width))).ToList();
        lines.Add(status);
        return lines;
    }

    private static IRenderable Footer(JobBoard board, int width)
    {
        var (text, style) = board.Prompt switch
        {
            BoardPrompt.ConfirmCancel => ($"Cancel job {board.TargetJobId}? (y/N)", new Style(Color.Yellow, decoration: Decoration.Bold)),
            BoardPrompt.Filter => ($"Filter by status (queued, running, completed, failed, cancelled, all): {board.FilterInput}_", Style.Plain),
            _ when board.Message is { } message => (message, new Style(board.MessageIsError ? Color.Red : Color.Green)),
            _ when board.LogJobId is not null => ("↑/↓ scroll  End follow  Esc back  c cancel  q quit", Dim),
            _ => ("↑/↓ select  Enter log  c cancel  / filter  q quit", Dim),
        };
        return new Text(Fit(text, width), style);
    }

    // The colours of `ci list`, in Spectre's terms.
    private static Color StatusColor(JobSummary job) => ListCommand.StatusColor(job) switch
    {
        AnsiColor.Green => Color.Green,
        AnsiColor.Red => Color.Red,
        AnsiColor.Yellow => Color.Yellow,
        _ => Color.Grey,
    };

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";
}
