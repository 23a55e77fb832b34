using Ci.Cli.Ui;
using Ci.Core.Protocol;

namespace Ci.Cli.Tests.Ui;

/// <summary>The keys of <c>ci ui</c> on the board's state alone (the terminal itself is driven in Ci.EndToEnd.Tests/Ui).</summary>
public class JobBoardTests
{
    private static readonly DateTime Now = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);

    private static JobSummary Job(int n, JobStatus status) =>
        new($"00000000-0000-0000-0000-00000000000{n}", status, status == JobStatus.Completed ? true : null, Now, null);

    private static ConsoleKeyInfo Key(ConsoleKey key, char c = '\0') => new(c, key, false, false, false);

    private static ConsoleKeyInfo Char(char c) => new(c, (ConsoleKey)char.ToUpperInvariant(c), false, false, false);

    private static JobBoard Board(params JobSummary[] jobs)
    {
        var board = new JobBoard();
        board.SetJobs(jobs, Now);
        return board;
    }

    [Fact]
    public void Arrows_move_the_selection_within_the_list()
    {
        var board = Board(Job(1, JobStatus.Running), Job(2, JobStatus.Completed), Job(3, JobStatus.Failed));

        board.HandleKey(Key(ConsoleKey.UpArrow));
        var atTop = board.Selected;
        board.HandleKey(Key(ConsoleKey.DownArrow));
        board.HandleKey(Key(ConsoleKey.DownArrow));
        board.HandleKey(Key(ConsoleKey.DownArrow));

        Assert.Equal((0, 2), (atTop, board.Selected));
    }

    [Fact]
    public void A_refresh_keeps_the_same_job_selected_where_it_moved()
    {
        var board = Board(Job(1, JobStatus.Running), Job(2, JobStatus.Completed));
        board.HandleKey(Key(ConsoleKey.DownArrow));

        board.SetJobs([Job(3, JobStatus.Queued), Job(1, JobStatus.Running), Job(2, JobStatus.Completed)], Now);

        Assert.Equal((2, Job(2, JobStatus.Completed).JobId), (board.Selected, board.SelectedJob!.JobId));
    }

    [Fact]
    public void Enter_opens_the_selected_jobs_log_and_escape_closes_it()
    {
        var board = Board(Job(1, JobStatus.Running), Job(2, JobStatus.Completed));
        board.HandleKey(Key(ConsoleKey.DownArrow));

        var open = board.HandleKey(Key(ConsoleKey.Enter, '\r'));
        board.OpenLog(board.SelectedJob!.JobId);
        var close = board.HandleKey(Key(ConsoleKey.Escape, '\e'));

        Assert.Equal((BoardAction.OpenLog, BoardAction.CloseLog), (open, close));
        Assert.Equal(Job(2, JobStatus.Completed).JobId, board.TargetJobId);
    }

    [Theory]
    [InlineData('y', true)]
    [InlineData('n', false)]
    [InlineData('x', false)]
    public void C_asks_first_and_only_y_cancels(char answer, bool cancels)
    {
        var board = Board(Job(1, JobStatus.Running));

        var ask = board.HandleKey(Char('c'));
        var prompt = board.Prompt;
        var result = board.HandleKey(Char(answer));

        var expected = cancels ? BoardAction.Cancel : BoardAction.None;
        Assert.Equal((BoardAction.None, BoardPrompt.ConfirmCancel, expected, BoardPrompt.None), (ask, prompt, result, board.Prompt));
    }

    [Theory]
    [InlineData("run", JobStatus.Running, 1)]
    [InlineData("completed", JobStatus.Completed, 2)]
    [InlineData("f", JobStatus.Failed, 0)]
    public void Slash_filters_by_a_status_or_its_prefix(string typed, JobStatus status, int count)
    {
        var board = Board(Job(1, JobStatus.Running), Job(2, JobStatus.Completed), Job(3, JobStatus.Completed));

        board.HandleKey(Char('/'));
        foreach (var c in typed)
            board.HandleKey(Char(c));
        board.HandleKey(Key(ConsoleKey.Enter, '\r'));

        Assert.Equal((status, count), (board.Filter!.Value, board.Visible.Count));
        Assert.Equal(count == 0 ? -1 : 0, board.Selected);
    }

    [Fact]
    public void An_unknown_or_ambiguous_status_is_a_message_and_all_clears_the_filter()
    {
        var board = Board(Job(1, JobStatus.Running), Job(2, JobStatus.Completed), Job(3, JobStatus.Cancelled));
        Type(board, "/running\r");

        Type(board, "/c\r");
        var ambiguous = (board.Filter, board.MessageIsError, board.Message);
        Type(board, "/all\r");

        Assert.Equal(JobStatus.Running, ambiguous.Filter);
        Assert.True(ambiguous.MessageIsError);
        Assert.StartsWith("Unknown status 'c'", ambiguous.Message);
        Assert.Equal((null, 3), (board.Filter, board.Visible.Count));
    }

    [Fact]
    public void Q_quits_but_is_text_inside_the_filter_prompt()
    {
        var board = Board(Job(1, JobStatus.Queued));

        Type(board, "/q");
        var inPrompt = board.FilterInput;
        board.HandleKey(Key(ConsoleKey.Escape, '\e'));

        Assert.Equal("q", inPrompt);
        Assert.Equal(BoardAction.Quit, board.HandleKey(Char('q')));
    }

    [Fact]
    public void The_log_keeps_lines_and_drops_terminal_control_codes()
    {
        var log = new LogBuffer();

        log.Append("Installing \e[1;32mdeps\e[0m...\nRunning");
        log.Append(" tests\r\n\tdone");

        Assert.Equal(["Installing deps...", "Running tests", "    done"], log.Tail(10, 0));
        Assert.Equal(["Running tests"], log.Tail(1, 1));
    }

    private static void Type(JobBoard board, string keys)
    {
        foreach (var c in keys)
            board.HandleKey(c == '\r' ? Key(ConsoleKey.Enter, '\r') : Char(c));
    }
}
