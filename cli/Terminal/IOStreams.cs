using System.Text;

namespace Ci.Cli.Terminal;

/// <summary>
/// The process's standard streams and what they are connected to, decided once: whether stdout and stderr
/// are terminals, whether colour is on (only on a terminal, never with <c>NO_COLOR</c>, <c>TERM=dumb</c> or <c>--no-color</c>),
/// and the terminal's width. Commands write only through this, so tests hand them string writers.
/// </summary>
internal sealed class IOStreams(TextWriter output, TextWriter error, bool isOutputTerminal, bool isErrorTerminal, bool colorAllowed, int width)
{
    /// <summary>Standard output: results and job logs.</summary>
    public TextWriter Out { get; } = output;

    /// <summary>Standard error: job ids, progress, messages and errors.</summary>
    public TextWriter Err { get; } = error;

    /// <summary>True when stdout is a terminal.</summary>
    public bool IsOutputTerminal { get; } = isOutputTerminal;

    /// <summary>True when stderr is a terminal (progress is drawn only then).</summary>
    public bool IsErrorTerminal { get; } = isErrorTerminal;

    /// <summary>The terminal's columns (80 when unknown).</summary>
    public int Width { get; } = width;

    private bool _colorAllowed = colorAllowed;

    private bool OutputColor => _colorAllowed && IsOutputTerminal;

    private bool ErrorColor => _colorAllowed && IsErrorTerminal;

    /// <summary><c>--no-color</c>: nothing is painted from now on.</summary>
    public void DisableColor() => _colorAllowed = false;

    /// <summary>True when stdout gets colour (a terminal, and the user did not opt out).</summary>
    public bool IsOutputColored => OutputColor;

    /// <summary>The real console. Both writers are UTF-8 without BOM and flush on every write, so a log line appears as it arrives.</summary>
    /// <param name="getEnvironmentVariable">Reads <c>NO_COLOR</c> and <c>TERM</c>.</param>
    public static IOStreams FromConsole(Func<string, string?> getEnvironmentVariable)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        // A log event (up to 16 Ki chars) goes out in one write, not in the default buffer's 1 Ki-char pieces.
        var output = new StreamWriter(Console.OpenStandardOutput(), utf8, bufferSize: 32 * 1024) { AutoFlush = true, NewLine = "\n" };
        var error = new StreamWriter(Console.OpenStandardError(), utf8) { AutoFlush = true, NewLine = "\n" };
        var colorAllowed = IsColorAllowed(getEnvironmentVariable);
        var isOutputTerminal = !Console.IsOutputRedirected;
        var isErrorTerminal = !Console.IsErrorRedirected;
        return new IOStreams(output, error, isOutputTerminal, isErrorTerminal, colorAllowed, TerminalWidth(isOutputTerminal || isErrorTerminal));
    }

    /// <summary>False when the user opted out: <c>NO_COLOR</c> set to anything (https://no-color.org) or <c>TERM=dumb</c>.</summary>
    public static bool IsColorAllowed(Func<string, string?> getEnvironmentVariable) =>
        string.IsNullOrEmpty(getEnvironmentVariable("NO_COLOR")) && getEnvironmentVariable("TERM") != "dumb";

    /// <summary>Paints text for stdout when colour is on there.</summary>
    public string ColorOut(string text, AnsiColor color) => OutputColor ? Paint(text, color) : text;

    /// <summary>Paints text for stderr when colour is on there.</summary>
    public string ColorErr(string text, AnsiColor color) => ErrorColor ? Paint(text, color) : text;

    /// <summary>Writes <c>Warning: message</c> on stderr, the word painted when colour is on there.</summary>
    public void Warn(string message) => Err.WriteLine(ColorErr("Warning:", AnsiColor.Yellow) + " " + message);

    private static string Paint(string text, AnsiColor color) => $"\e[{(int)color}m{text}\e[0m";

    private static int TerminalWidth(bool isTerminal)
    {
        if (!isTerminal)
            return 80;
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
