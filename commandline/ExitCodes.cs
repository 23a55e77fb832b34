namespace Ci.CommandLine;

/// <summary>
/// The exit codes of <c>ci</c> and <c>ci-admin</c> (seed: 0 passed or done, 1 failed or error, 130 Ctrl+C; 2 a
/// mistaken command line, for the programs whose <see cref="CommandTable.MistakeExitCode"/> says so).
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Interrupted = 130;
}
