using Ci.Core.Protocol;

namespace Ci.Cli.Ui;

/// <summary>
/// The state of <c>ci ui</c> and how keys change it, with no terminal and no network, so it is tested on its own:
/// the jobs (all of them, and those the status filter lets through), the selected one (kept by id across
/// refreshes), the open log, the question or filter being typed, and the last message.
/// </summary>
internal sealed class JobBoard
{
    private IReadOnlyList<JobSummary> _all = [];

    /// <summary>The jobs on screen: those of the filter's status, newest first.</summary>
    public IReadOnlyList<JobSummary> Visible { get; private set; } = [];

    /// <summary>The status the list is narrowed to, or null for every job.</summary>
    public JobStatus? Filter { get; private set; }

    /// <summary>The index of the selected job in <see cref="Visible"/>, or -1 when there is none.</summary>
    public int Selected { get; private set; } = -1;

    public JobSummary? SelectedJob => Selected >= 0 && Selected < Visible.Count ? Visible[Selected] : null;

    /// <summary>The job whose log is open, or null for the list.</summary>
    public string? LogJobId { get; private set; }

    /// <summary>The open log's text so far.</summary>
    public LogBuffer Log { get; } = new();

    /// <summary>Lines scrolled up from the end of the log (0 follows new output).</summary>
    public int LogScroll { get; private set; }

    public BoardPrompt Prompt { get; private set; }

    /// <summary>What the user has typed after <c>/</c>.</summary>
    public string FilterInput { get; private set; } = "";

    /// <summary>A one-line message (a result or an error) shown until the next key.</summary>
    public string? Message { get; set; }

    public bool MessageIsError { get; set; }

    /// <summary>When the list was last fetched (UTC).</summary>
    public DateTime? UpdatedAt { get; private set; }

    /// <summary>Replaces the jobs with a fresh list, keeping the same job selected if it is still shown.</summary>
    public void SetJobs(IReadOnlyList<JobSummary> jobs, DateTime now)
    {
        _all = jobs;
        UpdatedAt = now;
        ApplyFilter();
    }

    /// <summary>The open log's job, or the selected one: what <c>c</c> would cancel.</summary>
    public string? TargetJobId => LogJobId ?? SelectedJob?.JobId;

    /// <summary>Applies one key; returns what the session must do besides redrawing.</summary>
    public BoardAction HandleKey(ConsoleKeyInfo key)
    {
        if (Prompt == BoardPrompt.ConfirmCancel)
        {
            Prompt = BoardPrompt.None;
            if (key.KeyChar is 'y' or 'Y')
                return BoardAction.Cancel;
            Message = "Not cancelled.";
            MessageIsError = false;
            return BoardAction.None;
        }
        if (Prompt == BoardPrompt.Filter)
            return HandleFilterKey(key);

        Message = null;
        if (key.KeyChar is 'q' or 'Q')
            return BoardAction.Quit;
        if (key.KeyChar is 'c' or 'C' && TargetJobId is not null)
        {
            Prompt = BoardPrompt.ConfirmCancel;
            return BoardAction.None;
        }
        return LogJobId is null ? HandleListKey(key) : HandleLogKey(key);
    }

    /// <summary>Opens <paramref name="jobId"/>'s log (the session then streams it in).</summary>
    public void OpenLog(string jobId)
    {
        LogJobId = jobId;
        Log.Clear();
        LogScroll = 0;
    }

    public void CloseLog()
    {
        LogJobId = null;
        Log.Clear();
        LogScroll = 0;
    }

    private BoardAction HandleListKey(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.UpArrow or ConsoleKey.K when Visible.Count > 0:
                Selected = Math.Max(0, Selected - 1);
                break;
            case ConsoleKey.DownArrow or ConsoleKey.J when Visible.Count > 0:
                Selected = Math.Min(Visible.Count - 1, Selected + 1);
                break;
            case ConsoleKey.Home when Visible.Count > 0:
                Selected = 0;
                break;
            case ConsoleKey.End when Visible.Count > 0:
                Selected = Visible.Count - 1;
                break;
            case ConsoleKey.Enter when SelectedJob is not null:
                return BoardAction.OpenLog;
            case ConsoleKey.Oem2 or ConsoleKey.Divide:
                StartFilter();
                break;
            default:
                if (key.KeyChar == '/')
                    StartFilter();
                break;
        }
        return BoardAction.None;
    }

    private BoardAction HandleLogKey(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.Escape or ConsoleKey.Backspace or ConsoleKey.LeftArrow:
                return BoardAction.CloseLog;
            case ConsoleKey.UpArrow:
                ScrollLog(1);
                break;
            case ConsoleKey.DownArrow:
                ScrollLog(-1);
                break;
            case ConsoleKey.PageUp:
                ScrollLog(10);
                break;
            case ConsoleKey.PageDown:
                ScrollLog(-10);
                break;
            case ConsoleKey.End:
                LogScroll = 0;
                break;
        }
        return BoardAction.None;
    }

    private void ScrollLog(int lines) => LogScroll = Math.Clamp(LogScroll + lines, 0, Math.Max(0, Log.LineCount - 1));

    private void StartFilter()
    {
        Prompt = BoardPrompt.Filter;
        FilterInput = "";
    }

    private BoardAction HandleFilterKey(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.Escape:
                Prompt = BoardPrompt.None;
                break;
            case ConsoleKey.Enter:
                Prompt = BoardPrompt.None;
                SetFilter(FilterInput.Trim());
                break;
            case ConsoleKey.Backspace:
                if (FilterInput.Length > 0)
                    FilterInput = FilterInput[..^1];
                break;
            default:
                if (!char.IsControl(key.KeyChar))
                    FilterInput += key.KeyChar;
                break;
        }
        return BoardAction.None;
    }

    /// <summary>Narrows the list to the status named by <paramref name="text"/> or a prefix of it; empty or <c>all</c> shows every job.</summary>
    private void SetFilter(string text)
    {
        if (text.Length == 0 || text.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            Filter = null;
        }
        else
        {
            var matches = Enum.GetValues<JobStatus>()
                .Where(s => s.ToWire().StartsWith(text, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count != 1)
            {
                Message = $"Unknown status '{text}': use queued, running, completed, failed, cancelled or all.";
                MessageIsError = true;
                return;
            }
            Filter = matches[0];
        }
        ApplyFilter();
    }

    private void ApplyFilter()
    {
        var selectedId = SelectedJob?.JobId;
        Visible = Filter is { } status ? _all.Where(j => j.Status == status).ToList() : _all;
        var index = selectedId is null ? -1 : Visible.ToList().FindIndex(j => j.JobId == selectedId);
        Selected = index >= 0 ? index : Visible.Count > 0 ? Math.Clamp(Selected, 0, Visible.Count - 1) : -1;
    }
}
