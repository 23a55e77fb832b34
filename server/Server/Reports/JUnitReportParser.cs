using System.Globalization;
using System.Text;
using System.Xml;
using Ci.Core.Protocol;

namespace Ci.Server.Reports;

/// <summary>
/// Reads a JUnit XML report (pytest's <c>--junitxml</c>, either family) into a <see cref="TestReport"/>. The file
/// is written by the job, so it is hostile input: no DTD (so no entity expansion, no external resolution), a cap on
/// its size, a streaming reader that never recurses however deep the nesting, and caps on what is kept.
/// </summary>
internal static class JUnitReportParser
{
    /// <summary>Reports above this size are not read. pytest writes ~200 bytes per passing test: 100,000 tests fit.</summary>
    public const long MaxReportBytes = 32L * 1024 * 1024;

    /// <summary>Tests kept per report; the counts still cover every test.</summary>
    public const int MaxTests = 20_000;

    public const int MaxNameLength = 1_000;
    public const int MaxMessageLines = 10;
    public const int MaxMessageLength = 2_000;

    private static readonly XmlReaderSettings s_settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        // A UTF-16 file of MaxReportBytes holds half as many characters; a UTF-8 one at most as many.
        MaxCharactersInDocument = MaxReportBytes,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
    };

    /// <summary>Parses the report in <paramref name="path"/>; null with a one-line <paramref name="error"/> when it cannot be used.</summary>
    /// <param name="moduleFileExists">Tells whether a module path (<c>tests/test_x.py</c>) exists, to name tests as pytest does; null to keep class names.</param>
    public static TestReport? ParseFile(string path, Func<string, bool>? moduleFileExists, out string? error)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        return Parse(stream, moduleFileExists, out error);
    }

    /// <inheritdoc cref="ParseFile"/>
    public static TestReport? Parse(Stream stream, Func<string, bool>? moduleFileExists, out string? error)
    {
        error = null;
        if (stream.CanSeek && stream.Length > MaxReportBytes)
        {
            error = $"the test report is {stream.Length} bytes, over the limit of {MaxReportBytes} bytes: not kept";
            return null;
        }
        try
        {
            using var reader = XmlReader.Create(new LimitedReadStream(stream, MaxReportBytes), s_settings);
            return Read(reader, moduleFileExists);
        }
        catch (Exception exception) when (exception is XmlException or DecoderFallbackException or ArgumentException
            or NotSupportedException or InvalidDataException)
        {
            error = $"the test report could not be read: {OneLine(exception.Message, 200)}";
            return null;
        }
    }

    private static TestReport Read(XmlReader reader, Func<string, bool>? moduleFileExists)
    {
        var tests = new List<TestCaseResult>();
        int passed = 0, failed = 0, skipped = 0, suitesOpen = 0;
        double duration = 0;
        var suiteDepths = new Stack<int>();
        // The test case being read: its depth, identity and the worst outcome seen among its children.
        int caseDepth = -1;
        string caseName = "";
        double caseTime = 0;
        TestOutcome caseOutcome = TestOutcome.Passed;
        string? caseMessage = null;

        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.EndElement || reader.NodeType != XmlNodeType.Element)
            {
                if (reader.NodeType == XmlNodeType.EndElement) CloseTo(reader.Depth);
                continue;
            }
            var depth = reader.Depth;
            CloseTo(depth);
            switch (reader.LocalName)
            {
                case "testsuite" when caseDepth < 0:
                    // Nested suites repeat their children's time: only the outermost ones count.
                    if (suitesOpen == 0) duration += Seconds(reader.GetAttribute("time"));
                    suitesOpen++;
                    if (!reader.IsEmptyElement) suiteDepths.Push(depth);
                    else suitesOpen--;
                    break;
                case "testcase" when caseDepth < 0:
                    caseName = TestName(reader.GetAttribute("classname"), reader.GetAttribute("name"), reader.GetAttribute("file"), moduleFileExists);
                    caseTime = Seconds(reader.GetAttribute("time"));
                    caseOutcome = TestOutcome.Passed;
                    caseMessage = null;
                    if (reader.IsEmptyElement) EndCase();
                    else caseDepth = depth;
                    break;
                case "failure" or "error" or "skipped" when caseDepth >= 0 && depth == caseDepth + 1:
                    (caseOutcome, caseMessage) = WorstOutcome(reader, caseOutcome, caseMessage);
                    break;
            }
        }
        CloseTo(0);
        return new TestReport(passed, failed, skipped, duration, tests.Count < passed + failed + skipped, tests);

        void CloseTo(int depth)
        {
            if (caseDepth >= depth && caseDepth >= 0)
            {
                EndCase();
                caseDepth = -1;
            }
            while (suiteDepths.Count > 0 && suiteDepths.Peek() >= depth)
            {
                suiteDepths.Pop();
                suitesOpen--;
            }
        }

        void EndCase()
        {
            switch (caseOutcome)
            {
                case TestOutcome.Passed: passed++; break;
                case TestOutcome.Skipped: skipped++; break;
                default: failed++; break;
            }
            if (tests.Count < MaxTests) tests.Add(new TestCaseResult(caseName, caseOutcome, caseTime, caseMessage));
        }
    }

    /// <summary>The test case's outcome once the child element at <paramref name="reader"/> is seen, with its message.</summary>
    private static (TestOutcome Outcome, string? Message) WorstOutcome(XmlReader reader, TestOutcome current, string? currentMessage)
    {
        var outcome = reader.LocalName switch
        {
            "failure" => TestOutcome.Failed,
            "error" => TestOutcome.Error,
            _ => TestOutcome.Skipped,
        };
        // A failure outranks an error (teardown after a failed call), both outrank a skip.
        if (current != TestOutcome.Passed && Rank(outcome) <= Rank(current)) return (current, currentMessage);
        var message = reader.GetAttribute("message");
        if (string.IsNullOrWhiteSpace(message) && !reader.IsEmptyElement) message = ReadTextStart(reader);
        return (outcome, FirstLines(message));
    }

    private static int Rank(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Failed => 3,
        TestOutcome.Error => 2,
        TestOutcome.Skipped => 1,
        _ => 0,
    };

    /// <summary>The start of an element's text (a traceback), read without keeping more than the message needs.</summary>
    private static string ReadTextStart(XmlReader reader)
    {
        var depth = reader.Depth;
        var text = new StringBuilder();
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA && text.Length < MaxMessageLength * 2)
            {
                var value = reader.Value;
                text.Append(value, 0, Math.Min(value.Length, MaxMessageLength * 2 - text.Length));
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// pytest's node id (<c>tests/test_x.py::TestY::test_z</c>) when the class name's leading parts name a module
    /// file of the project; else <c>classname::name</c>.
    /// </summary>
    internal static string TestName(string? className, string? name, string? file, Func<string, bool>? moduleFileExists)
    {
        name = string.IsNullOrEmpty(name) ? "?" : name;
        className ??= "";
        var parts = className.Length == 0 ? [] : className.Split('.');
        string full;
        if (file is { Length: > 0 } && file.EndsWith(".py", StringComparison.Ordinal) && parts.Length > 0)
        {
            // xunit1 reports carry the file: the class name's remainder after the module is the class.
            var moduleParts = file[..^3].Replace('\\', '/').Split('/').Length;
            full = string.Join("::", [file.Replace('\\', '/'), .. parts.Skip(moduleParts), name]);
        }
        else if (moduleFileExists is not null && parts.Length > 0 && parts.All(IsPlainName))
        {
            full = $"{className}::{name}";
            for (var count = parts.Length; count >= 1; count--)
            {
                var module = string.Join('/', parts.Take(count)) + ".py";
                if (!moduleFileExists(module)) continue;
                full = string.Join("::", [module, .. parts.Skip(count), name]);
                break;
            }
        }
        else
        {
            full = parts.Length == 0 ? name : $"{className}::{name}";
        }
        return full.Length <= MaxNameLength ? full : full[..MaxNameLength] + "...";
    }

    private static bool IsPlainName(string part) =>
        part.Length is > 0 and <= 255 && part != ".." && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static double Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds >= 0
            ? seconds
            : 0;

    private static string? FirstLines(string? message)
    {
        if (string.IsNullOrWhiteSpace(message)) return null;
        var lines = message.Replace("\r\n", "\n").Split('\n').Take(MaxMessageLines);
        var text = string.Join('\n', lines).TrimEnd();
        return text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "...";
    }

    private static string OneLine(string text, int max)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= max ? line : line[..max] + "...";
    }

    /// <summary>Ends the stream after <c>limit</c> bytes with an error, for streams whose length is not known up front.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            _read += read;
            if (_read > limit) throw new InvalidDataException($"the test report is over the limit of {limit} bytes");
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
