namespace Ci.Cli.Tests.Support;

/// <summary>What one <c>ci</c> invocation printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err);
