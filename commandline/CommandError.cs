namespace Ci.CommandLine;

/// <summary>What the user sees for a failure: the text after <c>Error: </c> and an optional hint line.</summary>
internal sealed record CommandError(string Message, string? Hint = null);
