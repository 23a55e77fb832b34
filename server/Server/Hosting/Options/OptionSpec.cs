using System.Globalization;

namespace Ci.Server.Hosting.Options;

/// <summary>
/// One command-line option of ci-server: its flag, the value it takes, its default, its range and its help. The
/// parser and <c>ci-server --help</c> both read these, so a default or a range is written once.
/// </summary>
/// <param name="Flag">The option, e.g. <c>--port</c>.</param>
/// <param name="Value">What the help calls its value, e.g. <c>PORT</c>.</param>
/// <param name="Help">
/// The help text; <c>{default}</c> and <c>{env}</c> stand for <see cref="Default"/> and <see cref="EnvironmentVariable"/>,
/// a new line continues the text under the previous one. Without <c>{default}</c>, a default is added as <c>(default X)</c>.
/// </param>
/// <param name="Apply">Sets the option's value; throws <see cref="FormatException"/> with the whole error line when it is bad.</param>
public sealed record OptionSpec(string Flag, string Value, string Help, Func<ServerOptions, string, ServerOptions> Apply)
{
    /// <summary>The default as the help shows it; null when the help says it in words or there is none.</summary>
    public string? Default { get; init; }

    /// <summary>The environment variable that stands in when the option is not given.</summary>
    public string? EnvironmentVariable { get; init; }

    /// <summary>The smallest and largest value of a number option.</summary>
    public (long Min, long Max)? Range { get; init; }

    /// <summary>The help text with its default and environment variable filled in.</summary>
    public string FormattedHelp
    {
        get
        {
            var help = Help.Replace("{env}", "$" + EnvironmentVariable, StringComparison.Ordinal);
            if (Default is null) return help;
            return help.Contains("{default}", StringComparison.Ordinal)
                ? help.Replace("{default}", Default, StringComparison.Ordinal)
                : $"{help} (default {Default})";
        }
    }

    /// <summary>An option taking any non-empty text.</summary>
    public static OptionSpec Text(string flag, string value, string help, Func<ServerOptions, string, ServerOptions> apply) =>
        new(flag, value, help, (options, text) => apply(options, NonEmpty(flag, text)));

    /// <summary>A whole-number option from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static OptionSpec Number(string flag, string value, string help, long min, long max, Func<ServerOptions, long, ServerOptions> apply) =>
        new(flag, value, help, (options, text) => apply(options, ParseNumber(flag, text, min, max))) { Range = (min, max) };

    /// <summary>A number from <paramref name="min"/> to <paramref name="max"/> that may have a fraction (<c>0.5</c>).</summary>
    public static OptionSpec Fraction(string flag, string value, string help, double min, double max, Func<ServerOptions, double, ServerOptions> apply) =>
        new(flag, value, help, (options, text) =>
            double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? apply(options, n)
                : throw new FormatException($"{flag}: '{text}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>A number of seconds from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static OptionSpec Seconds(string flag, string value, string help, long min, long max, Func<ServerOptions, TimeSpan, ServerOptions> apply) =>
        Number(flag, value, help, min, max, (options, n) => apply(options, TimeSpan.FromSeconds(n)));

    /// <summary>
    /// An option taking one of a few names; <paramref name="invalid"/> is the error line for any other value. With
    /// <paramref name="exact"/> the name must be written as listed, else case and surrounding spaces do not matter.
    /// </summary>
    public static OptionSpec Choice<T>(
        string flag, string value, string help, IReadOnlyDictionary<string, T> choices, Func<string, string> invalid,
        Func<ServerOptions, T, ServerOptions> apply, bool exact = false) =>
        new(flag, value, help, (options, text) =>
            choices.TryGetValue(exact ? text : NonEmpty(flag, text).Trim().ToLowerInvariant(), out var choice)
                ? apply(options, choice)
                : throw new FormatException(invalid(text)));

    private static string NonEmpty(string flag, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new FormatException($"{flag}: must not be empty") : value;

    private static long ParseNumber(string flag, string value, long min, long max) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"{flag}: '{value}' is not a whole number from {min} to {max}");
}
