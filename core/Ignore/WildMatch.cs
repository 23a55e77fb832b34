namespace Ci.Core.Ignore;

/// <summary>
/// Git's <c>wildmatch</c> with <c>WM_PATHNAME</c>, the matcher behind <c>.gitignore</c>: <c>?</c>, <c>*</c> and
/// bracket sets never match <c>/</c>; <c>**</c> between slashes (or at either end) matches across folders;
/// <c>\x</c> is a literal <c>x</c>. A port of git's <c>dowild</c> (wildmatch.c), kept to its structure so the two
/// can be compared line by line (the tests run git's own vectors and compare whole trees with git).
/// </summary>
internal static class WildMatch
{
    private enum Result { Match, NoMatch, AbortAll, AbortToStarStar }

    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/> as git matches an ignore pattern.</summary>
    public static bool IsMatch(string pattern, string text) => Match(pattern, 0, text, 0) == Result.Match;

    private static char At(string s, int index) => index < s.Length ? s[index] : '\0';

    private static Result Match(string pattern, int p, string text, int t)
    {
        for (; p < pattern.Length; p++, t++)
        {
            var pc = pattern[p];
            var tc = At(text, t);
            if (tc == '\0' && pc != '*') return Result.AbortAll;
            switch (pc)
            {
                case '\\':
                    // A literal match with the next character; a trailing backslash matches nothing.
                    p++;
                    if (At(pattern, p) != tc) return Result.NoMatch;
                    break;
                case '?':
                    if (tc == '/') return Result.NoMatch;
                    break;
                case '*':
                {
                    if (Stars(pattern, ref p, text, t, out var matchSlash) is { } noFolder) return noFolder;
                    p++;
                    if (p == pattern.Length)
                    {
                        // Trailing stars: the rest of the text, unless "*" would have to cross a slash.
                        return !matchSlash && text.IndexOf('/', t) >= 0 ? Result.NoMatch : Result.Match;
                    }
                    if (!matchSlash && pattern[p] == '/')
                    {
                        // One star then a slash: the rest of this path segment.
                        var slash = text.IndexOf('/', t);
                        if (slash < 0) return Result.NoMatch;
                        t = slash;
                        // The loop's increment consumes the slash of both.
                        break;
                    }
                    for (; t < text.Length; t++)
                    {
                        var matched = Match(pattern, p, text, t);
                        if (matched != Result.NoMatch)
                        {
                            if (!matchSlash || matched != Result.AbortToStarStar) return matched;
                        }
                        else if (!matchSlash && text[t] == '/')
                        {
                            return Result.AbortToStarStar;
                        }
                    }
                    return Result.AbortAll;
                }
                case '[':
                {
                    if (MatchSet(pattern, ref p, tc) is { } setResult) return setResult;
                    break;
                }
                default:
                    if (tc != pc) return Result.NoMatch;
                    break;
            }
        }
        return t < text.Length ? Result.NoMatch : Result.Match;
    }

    /// <summary>
    /// The star at <paramref name="p"/>: moves <paramref name="p"/> to the last star of a run and says whether it
    /// crosses slashes (<c>**</c> between slashes; <c>**</c> anywhere else is a plain <c>*</c>). Match when
    /// <c>**/</c>, standing for no folder at all, already matches the rest; else null.
    /// </summary>
    private static Result? Stars(string pattern, ref int p, string text, int t, out bool matchSlash)
    {
        matchSlash = false;
        if (At(pattern, p + 1) != '*')
            return null;
        var before = p - 1;
        while (At(pattern, p + 1) == '*') p++;
        var after = At(pattern, p + 1);
        if ((before < 0 || pattern[before] == '/')
            && (after == '\0' || after == '/' || (after == '\\' && At(pattern, p + 2) == '/')))
        {
            // "**/" may also stand for no folder at all.
            if (after == '/' && Match(pattern, p + 2, text, t) == Result.Match) return Result.Match;
            matchSlash = true;
        }
        return null;
    }

    /// <summary>
    /// A bracket set at <paramref name="p"/> (its <c>[</c>) against <paramref name="tc"/>; leaves <paramref name="p"/>
    /// on the closing <c>]</c>. Null when the character is in the set.
    /// </summary>
    private static Result? MatchSet(string pattern, ref int p, char tc)
    {
        var pc = At(pattern, ++p);
        if (pc == '^') pc = '!';
        var negated = pc == '!';
        if (negated) pc = At(pattern, ++p);
        var previous = '\0';
        var matched = false;
        do
        {
            if (pc == '\0') return Result.AbortAll;
            if (pc == '\\')
            {
                pc = At(pattern, ++p);
                if (pc == '\0') return Result.AbortAll;
                if (tc == pc) matched = true;
            }
            else if (pc == '-' && previous != '\0' && At(pattern, p + 1) != '\0' && At(pattern, p + 1) != ']')
            {
                pc = At(pattern, ++p);
                if (pc == '\\')
                {
                    pc = At(pattern, ++p);
                    if (pc == '\0') return Result.AbortAll;
                }
                if (tc <= pc && tc >= previous) matched = true;
                pc = '\0'; // so that no range starts here
            }
            else if (pc == '[' && At(pattern, p + 1) == ':')
            {
                var start = p += 2;
                while ((pc = At(pattern, p)) != '\0' && pc != ']') p++;
                if (pc == '\0') return Result.AbortAll;
                var length = p - start - 1;
                if (length < 0 || pattern[p - 1] != ':')
                {
                    // No ":]": an ordinary "[" in the set.
                    p = start - 2;
                    pc = '[';
                    if (tc == pc) matched = true;
                    continue;
                }
                if (InClass(pattern.AsSpan(start, length), tc) is not { } inClass) return Result.AbortAll;
                if (inClass) matched = true;
                pc = '\0';
            }
            else if (tc == pc)
            {
                matched = true;
            }
        }
        // git: while (prev_ch = p_ch, (p_ch = *++p) != ']')
        while (Next(ref previous, ref pc, pattern, ref p));
        return matched == negated || tc == '/' ? Result.NoMatch : null;
    }

    private static bool Next(ref char previous, ref char pc, string pattern, ref int p)
    {
        previous = pc;
        pc = At(pattern, ++p);
        return pc != ']';
    }

    /// <summary>Whether <paramref name="c"/> is in the POSIX class <paramref name="name"/>; null for an unknown class.</summary>
    private static bool? InClass(ReadOnlySpan<char> name, char c) => name switch
    {
        "alnum" => char.IsAsciiLetterOrDigit(c),
        "alpha" => char.IsAsciiLetter(c),
        "blank" => c is ' ' or '\t',
        "cntrl" => c < 0x20 || c == 0x7f,
        "digit" => char.IsAsciiDigit(c),
        "graph" => c > 0x20 && c < 0x7f,
        "lower" => char.IsAsciiLetterLower(c),
        "print" => c >= 0x20 && c < 0x7f,
        "punct" => c > 0x20 && c < 0x7f && !char.IsAsciiLetterOrDigit(c),
        "space" => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v',
        "upper" => char.IsAsciiLetterUpper(c),
        "xdigit" => char.IsAsciiHexDigit(c),
        _ => null,
    };
}
