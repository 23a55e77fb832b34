namespace Ci.CommandLine;

/// <summary>
/// A flag of a command or of the whole program: its name, whether a value follows it, and, for a global option
/// the program lists under its help, the value's name and the help line.
/// </summary>
internal sealed record CommandFlag(string Name, bool TakesValue = false, string? ValueName = null, string? Help = null);
