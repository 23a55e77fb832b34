using System.Globalization;
using Ci.Core.Protocol;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ci.Cli.Ui;

/// <summary>Draws a <see cref="JobBoard"/> as one screen: a title line, the job table or the open log, and a key/prompt line.</summary>
internal static class JobBoardView
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly Style Dim = new(Color.Grey);
    private static readonly Style Selected = new(decoration: Decoration.Invert);

    /// <summary>The whole screen for a terminal of <paramref name="width"/> by <paramref name="height"/>.</summary>
    public static IRenderable Render(JobBoard board, string server, int width, int height)
    {
        var bodyHeight = Math.Max(1, height - 2);
        var body = board.LogJobId is { } jobId ? RenderLog(board, jobId, bodyHeight) : RenderList(board, bodyHeight);
        return new Rows(Title(board, server, width), body, Footer(board, width));
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

    private static IRenderable RenderList(JobBoard board, int height)
    {
        var lines = new List<IRenderable> { new Text(Row("JOB ID", "STATUS", "START TIME", "END TIME", "SUCCESS"), Dim) };
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
            var row = Row(job.JobId, job.Status.ToWire(), Time(job.StartTime), Time(job.EndTime), success);
            lines.Add(index == board.Selected ? new Text(row, Selected) : new Text(row, new Style(StatusColor(job))));
        }
        return new Rows(lines);
    }

    private static IRenderable RenderLog(JobBoard board, string jobId, int height)
    {
        var status = board.Log.Success switch
        {
            true => new Text("── passed ──", new Style(Color.Green)),
            false => new Text("── failed ──", new Style(Color.Red)),
            null => new Text($"── {jobId}: streaming… ──", Dim),
        };
        var lines = board.Log.Tail(Math.Max(1, height - 1), board.LogScroll).Select(line => (IRenderable)new Text(line)).ToList();
        lines.Add(status);
        return new Rows(lines);
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

    private static Color StatusColor(JobSummary job) => job.Status switch
    {
        JobStatus.Completed when job.Success == true => Color.Green,
        JobStatus.Completed or JobStatus.Failed => Color.Red,
        JobStatus.Queued or JobStatus.Running => Color.Yellow,
        _ => Color.Grey,
    };

    // The columns of `ci list`, so the two read alike.
    private static string Row(string jobId, string status, string start, string end, string success) =>
        $"{jobId,-38} {status,-12} {start,-22} {end,-22} {success}";

    private static string Time(DateTime? time) =>
        time is { } t ? t.ToString(TimeFormat, CultureInfo.InvariantCulture) : "N/A";

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";
}
