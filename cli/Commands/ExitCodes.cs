namespace Ci.Cli.Commands;

/// <summary>The client's exit codes (seed: 0 passed or done, 1 failed or error, 130 Ctrl+C; 2 a mistaken command line).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
}
