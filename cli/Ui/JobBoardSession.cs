using System.Threading.Channels;
using Ci.Cli.Terminal;
using Ci.Core.Client;
using Ci.Core.Protocol;
using Spectre.Console;

namespace Ci.Cli.Ui;

/// <summary>
/// Runs <c>ci ui</c> on the terminal: the alternate screen, one drawing loop, and the tasks that feed it (keys,
/// the periodic job list, the open log's stream, a cancellation). Everything that changes the board goes through
/// one channel and is applied by the drawing loop alone, so the board needs no locks. The terminal is given back
/// (main screen, cursor) however the loop ends: <c>q</c>, Ctrl+C or an error.
/// </summary>
internal sealed class JobBoardSession(CiClient client, IOStreams streams, TimeSpan refreshInterval)
{
    private const string EnterAlternateScreen = "\e[?1049h\e[H";
    private const string LeaveAlternateScreen = "\e[?25h\e[?1049l";

    private readonly JobBoard _board = new();
    private readonly Channel<Action<JobBoard>> _changes = Channel.CreateUnbounded<Action<JobBoard>>(new() { SingleReader = true });
    private CancellationTokenSource? _logStream;
    private bool _quitRequested;

    /// <summary>Shows the board until the user quits; <paramref name="firstJobs"/> is the list fetched before the screen opened.</summary>
    public async Task RunAsync(IReadOnlyList<JobSummary> firstJobs, CancellationToken cancellationToken)
    {
        _board.SetJobs(firstJobs, DateTime.UtcNow);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = streams.IsOutputColored ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(streams.Out),
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await streams.Out.WriteAsync(EnterAlternateScreen);
        try
        {
            var keys = ReadKeysAsync(console, stop.Token);
            var refresh = RefreshAsync(stop.Token);
            await console.Live(Render(console))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Crop)
                .Cropping(VerticalOverflowCropping.Bottom)
                .StartAsync(async live =>
                {
                    while (await _changes.Reader.WaitToReadAsync(stop.Token))
                    {
                        // Applies everything that arrived before drawing once: a chatty log costs one frame, not one per line.
                        var quit = false;
                        while (!quit && _changes.Reader.TryRead(out var change))
                        {
                            change(_board);
                            quit = _quitRequested;
                        }
                        if (quit)
                            return;
                        live.UpdateTarget(Render(console));
                    }
                });
            await stop.CancelAsync();
            await Task.WhenAll(Quietly(keys), Quietly(refresh));
        }
        finally
        {
            await stop.CancelAsync();
            _logStream?.Cancel();
            await streams.Out.WriteAsync(LeaveAlternateScreen);
            await streams.Out.FlushAsync(CancellationToken.None);
        }
    }

    private Spectre.Console.Rendering.IRenderable Render(IAnsiConsole console)
    {
        var (width, height) = TerminalSize();
        console.Profile.Width = width;
        console.Profile.Height = height;
        return JobBoardView.Render(_board, client.ServerUrl.ToString().TrimEnd('/'), width, height);
    }

    private static (int Width, int Height) TerminalSize()
    {
        try
        {
            return (Math.Max(20, Console.WindowWidth), Math.Max(5, Console.WindowHeight));
        }
        catch (IOException)
        {
            return (80, 24);
        }
    }

    private async Task ReadKeysAsync(IAnsiConsole console, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await console.Input.ReadKeyAsync(intercept: true, cancellationToken) is { } key)
                Post(board => OnKey(board, key));
        }
    }

    private void OnKey(JobBoard board, ConsoleKeyInfo key)
    {
        var target = board.TargetJobId;
        switch (board.HandleKey(key))
        {
            case BoardAction.Quit:
                _quitRequested = true;
                break;
            case BoardAction.OpenLog when board.SelectedJob is { } job:
                board.OpenLog(job.JobId);
                StartLogStream(job.JobId);
                break;
            case BoardAction.CloseLog:
                _logStream?.Cancel();
                board.CloseLog();
                break;
            case BoardAction.Cancel when target is not null:
                board.Message = $"Cancelling job {target}…";
                board.MessageIsError = false;
                _ = CancelAsync(target);
                break;
        }
    }

    private void StartLogStream(string jobId)
    {
        _logStream?.Cancel();
        var cts = _logStream = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var jobEvent in client.WaitForJobAsync(jobId, fromBeginning: true, cts.Token))
                {
                    switch (jobEvent)
                    {
                        case LogEvent log:
                            Post(board => { if (board.LogJobId == jobId) board.Log.Append(log.Data); });
                            break;
                        case CompleteEvent complete:
                            Post(board => { if (board.LogJobId == jobId) board.Log.Complete(complete.Success); });
                            return;
                    }
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
            }
            catch (CiException e)
            {
                Post(board => { if (board.LogJobId == jobId) ShowError(board, e.Message); });
            }
        });
    }

    private async Task CancelAsync(string jobId)
    {
        try
        {
            await client.CancelJobAsync(jobId);
            Post(board => { board.Message = $"Job {jobId} cancelled."; board.MessageIsError = false; });
            await FetchAsync(CancellationToken.None);
        }
        catch (CiException e)
        {
            Post(board => ShowError(board, e.Message));
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(refreshInterval, cancellationToken);
            await FetchAsync(cancellationToken);
        }
    }

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            var jobs = await client.ListJobsAsync(cancellationToken: cancellationToken);
            Post(board => board.SetJobs(jobs, DateTime.UtcNow));
        }
        catch (CiException e)
        {
            Post(board => ShowError(board, $"Refresh failed: {e.Message}"));
        }
    }

    private static void ShowError(JobBoard board, string message)
    {
        board.Message = message;
        board.MessageIsError = true;
    }

    private void Post(Action<JobBoard> change) => _changes.Writer.TryWrite(change);

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
