using System.Diagnostics;
using System.Security;
using System.Text;
using Ci.Core.Protocol;
using Ci.Server.Reports;
using CsCheck;

namespace Ci.Server.Tests.Reports;

/// <summary>
/// The report is written by the job, so the parser meets it as hostile input. The properties: whatever the bytes,
/// it returns a report or a one-line error (never throws, never hangs, never expands entities); for well-formed
/// reports generated from a model, the counts and names are the model's.
/// </summary>
public class JUnitReportParserTests
{
    const string PytestReport = """
        <?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="0.512" timestamp="2026-11-30T10:00:00" hostname="h"><testcase classname="tests.test_calc" name="test_add" time="0.001" /><testcase classname="tests.test_calc.TestTable" name="test_add_table[2-2-5]" time="0.002"><failure message="assert 4 == 5&#10; +  where 4 = add(2, 2)">a = 2, b = 2, total = 5

            def test_add_table(a, b, total):
        &gt;       assert add(a, b) == total
        E       assert 4 == 5</failure></testcase><testcase classname="tests.test_calc" name="test_python2_only" time="0.000"><skipped type="pytest.skip" message="not on Python 3">tests/test_calc.py:16: not on Python 3</skipped></testcase><testcase classname="tests.test_store" name="test_broken" time="0.003"><error message="failed on setup with &quot;RuntimeError: fixture set-up fails&quot;">@pytest.fixture
        E   RuntimeError</error></testcase><testcase classname="" name="tests.test_syntax" time="0.000"><error message="collection failure">SyntaxError</error></testcase></testsuite></testsuites>
        """;

    static TestReport? Parse(string xml, out string? error, Func<string, bool>? files = null) =>
        JUnitReportParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), files, out error);

    [Fact]
    public void A_pytest_report_gives_counts_names_times_and_first_message_lines()
    {
        var report = Parse(PytestReport, out var error, path => path is "tests/test_calc.py" or "tests/test_store.py");

        Assert.Null(error);
        Assert.NotNull(report);
        Assert.Equal((1, 3, 1), (report.Passed, report.Failed, report.Skipped));
        Assert.Equal(0.512, report.DurationSeconds);
        Assert.False(report.Truncated);
        Assert.Equal(
            ["tests/test_calc.py::test_add", "tests/test_calc.py::TestTable::test_add_table[2-2-5]", "tests/test_calc.py::test_python2_only", "tests/test_store.py::test_broken", "tests.test_syntax"],
            report.Tests.Select(test => test.Name));
        Assert.Equal([TestOutcome.Passed, TestOutcome.Failed, TestOutcome.Skipped, TestOutcome.Error, TestOutcome.Error], report.Tests.Select(test => test.Outcome));
        Assert.Equal("assert 4 == 5\n +  where 4 = add(2, 2)", report.Tests[1].Message);
        Assert.Equal("not on Python 3", report.Tests[2].Message);
        Assert.Null(report.Tests[0].Message);
        Assert.Equal(0.002, report.Tests[1].TimeSeconds);
        Assert.Equal("1 passed, 3 failed, 1 skipped in 0.5s", report.SummaryLine());
    }

    [Fact]
    public void Without_a_module_file_the_class_name_is_kept()
    {
        var report = Parse(PytestReport, out _, files: null);

        Assert.Equal("tests.test_calc::test_add", report!.Tests[0].Name);
    }

    [Fact]
    public void A_failure_without_a_message_attribute_keeps_the_first_lines_of_its_text()
    {
        var lines = string.Join("\n", Enumerable.Range(1, 50).Select(i => $"line {i}"));
        var report = Parse($"<testsuite><testcase classname=\"a\" name=\"b\"><failure>{lines}</failure></testcase></testsuite>", out _);

        Assert.Equal(string.Join("\n", Enumerable.Range(1, JUnitReportParser.MaxMessageLines).Select(i => $"line {i}")), report!.Tests[0].Message);
    }

    [Theory]
    [InlineData("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><testsuite><testcase classname=\"&lol2;\" name=\"x\"/></testsuite>")]
    [InlineData("<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><testsuite><testcase classname=\"a\" name=\"&xxe;\"/></testsuite>")]
    [InlineData("<!DOCTYPE x SYSTEM \"http://127.0.0.1:1/evil.dtd\"><testsuite/>")]
    public void Documents_with_a_dtd_are_refused_so_entities_never_expand(string xml)
    {
        var report = Parse(xml, out var error);

        Assert.Null(report);
        Assert.StartsWith("the test report could not be read: ", error);
        Assert.DoesNotContain('\n', error!);
        Assert.DoesNotContain("root:", error);
    }

    [Fact]
    public void A_report_over_the_size_limit_is_not_read()
    {
        var stream = new HugeStream(JUnitReportParser.MaxReportBytes + 1, seekable: true);

        var report = JUnitReportParser.Parse(stream, null, out var error);

        Assert.Null(report);
        Assert.Contains("over the limit", error);
        Assert.Equal(0, stream.BytesRead);
    }

    [Fact]
    public void A_stream_that_grows_past_the_limit_is_cut_while_reading()
    {
        var stream = new HugeStream(JUnitReportParser.MaxReportBytes * 2, seekable: false);
        var clock = Stopwatch.StartNew();

        var report = JUnitReportParser.Parse(stream, null, out var error);

        Assert.Null(report);
        Assert.NotNull(error);
        Assert.InRange(stream.BytesRead, 0, JUnitReportParser.MaxReportBytes + 1024 * 1024);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 60);
    }

    [Fact]
    public void Deep_nesting_neither_recurses_nor_loses_the_tests_inside()
    {
        const int depth = 100_000;
        var xml = new StringBuilder("<testsuites>");
        for (var i = 0; i < depth; i++) xml.Append("<testsuite>");
        xml.Append("<testcase classname=\"deep\" name=\"t\"><failure message=\"m\"/></testcase>");
        for (var i = 0; i < depth; i++) xml.Append("</testsuite>");
        xml.Append("</testsuites>");

        var report = Parse(xml.ToString(), out var error);

        Assert.Null(error);
        Assert.Equal(1, report!.Failed);
    }

    [Fact]
    public void More_tests_than_kept_still_count_all_of_them()
    {
        var count = JUnitReportParser.MaxTests + 5;
        var xml = new StringBuilder("<testsuite>");
        for (var i = 0; i < count; i++) xml.Append("<testcase classname=\"m\" name=\"t").Append(i).Append("\"/>");
        xml.Append("</testsuite>");

        var report = Parse(xml.ToString(), out _);

        Assert.Equal(count, report!.Passed);
        Assert.Equal(JUnitReportParser.MaxTests, report.Tests.Count);
        Assert.True(report.Truncated);
    }

    [Theory]
    [InlineData("utf-16", "utf-8")]
    [InlineData("utf-8", "utf-16")]
    [InlineData("utf-8", "bogus-encoding")]
    [InlineData("latin1", "utf-8")]
    public void A_wrong_or_unknown_encoding_is_an_error_or_a_report_never_an_exception(string written, string declared)
    {
        var xml = $"<?xml version=\"1.0\" encoding=\"{declared}\"?><testsuite><testcase classname=\"é\" name=\"ü\"/></testsuite>";
        var bytes = written switch
        {
            "utf-16" => Encoding.Unicode.GetBytes(xml),
            "latin1" => Encoding.Latin1.GetBytes(xml),
            _ => Encoding.UTF8.GetBytes(xml),
        };

        var report = JUnitReportParser.Parse(new MemoryStream(bytes), null, out var error);

        Assert.True(report is not null ^ error is not null);
    }

    // Hostile bytes: fragments of real reports, markup, entities, encodings and junk, glued at random.
    static readonly Gen<string> Fragment = Gen.Frequency(
        (6, Gen.OneOf("<testsuites>", "</testsuites>", "<testsuite time=\"1.5\">", "</testsuite>", "<testcase classname=\"a.b\" name=\"c\">",
            "</testcase>", "<testcase name=\"x\"/>", "<failure message=\"boom\">", "</failure>", "<error/>", "<skipped/>", "<skipped message=\"s\">",
            "</skipped>", "text", "\n", "<![CDATA[raw]]>", "<!-- c -->", "&amp;", "&lt;", "&#10;", "&#0;", "&#xD800;", "&bogus;", "<?pi x?>")),
        (2, Gen.OneOf("<!DOCTYPE a [<!ENTITY e \"x\">]>", "&e;", "<!ENTITY", "<?xml version=\"1.0\" encoding=\"utf-16\"?>", "<?xml version=\"1.0\"?>", "<a", ">", "\"", "=", "</")),
        (2, Gen.Char.Array[0, 20].Select(chars => new string(chars))),
        (1, Gen.Int[0, 2000].Select(n => new string('<', n))));

    [Fact]
    public void Random_hostile_documents_give_a_report_or_a_one_line_error()
    {
        Gen.OneOf(
                Fragment.Array[0, 60].Select(parts => Encoding.UTF8.GetBytes(string.Concat(parts))),
                Gen.Byte.Array[0, 400],
                Fragment.Array[0, 40].Select(parts => Encoding.Unicode.GetBytes(string.Concat(parts))))
            .Sample(bytes =>
            {
                var report = JUnitReportParser.Parse(new MemoryStream(bytes), _ => false, out var error);
                Assert.True(report is not null ^ error is not null);
                if (error is not null) Assert.DoesNotContain('\n', error);
                if (report is not null)
                {
                    Assert.True(report.Passed >= 0 && report.Failed >= 0 && report.Skipped >= 0);
                    Assert.Equal(report.Passed + report.Failed + report.Skipped, report.Tests.Count);
                    Assert.All(report.Tests, test => Assert.True(test.Name.Length <= JUnitReportParser.MaxNameLength + 3));
                }
            }, iter: 2000);
    }

    public sealed record ModelTest(string ClassName, string Name, TestOutcome Outcome, double Time, string Message);

    static readonly Gen<string> Text = Gen.OneOf(
        Gen.Char["abcXYZ_019.[]-"].Array[1, 12].Select(chars => new string(chars)),
        Gen.OneOf("<>&\"'", "é中😀", "line\nbreak", "tab\tx", "]]>"));

    static readonly Gen<ModelTest> Test =
        Gen.Select(Text, Text, Gen.Enum<TestOutcome>(), Gen.Int[0, 100_000], Text,
            (className, name, outcome, millis, message) => new ModelTest(className, name, outcome, millis / 1000.0, message));

    [Fact]
    public void Reports_written_from_a_model_read_back_as_the_model()
    {
        Test.Array[0, 40].Sample(tests =>
        {
            var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite time=\"2.5\">");
            foreach (var test in tests)
            {
                xml.Append($"<testcase classname=\"{Escape(test.ClassName)}\" name=\"{Escape(test.Name)}\" time=\"{test.Time.ToString(System.Globalization.CultureInfo.InvariantCulture)}\">");
                var element = test.Outcome switch { TestOutcome.Failed => "failure", TestOutcome.Error => "error", TestOutcome.Skipped => "skipped", _ => null };
                if (element is not null) xml.Append($"<{element} message=\"{Escape(test.Message)}\">trace</{element}>");
                xml.Append("</testcase>");
            }
            xml.Append("</testsuite></testsuites>");

            var report = Parse(xml.ToString(), out var error);

            Assert.Null(error);
            Assert.Equal(tests.Count(t => t.Outcome == TestOutcome.Passed), report!.Passed);
            Assert.Equal(tests.Count(t => t.Outcome is TestOutcome.Failed or TestOutcome.Error), report.Failed);
            Assert.Equal(tests.Count(t => t.Outcome == TestOutcome.Skipped), report.Skipped);
            Assert.Equal(tests.Select(t => t.Outcome), report.Tests.Select(t => t.Outcome));
            Assert.Equal(tests.Select(t => $"{t.ClassName}::{t.Name}"), report.Tests.Select(t => t.Name));
            Assert.Equal(tests.Select(t => t.Time), report.Tests.Select(t => t.TimeSeconds));
            Assert.Equal(2.5, report.DurationSeconds);
        }, iter: 300);
    }

    // Attribute values normalise a raw newline or tab to a space; a report writes them as character references.
    static string Escape(string text) => SecurityElement.Escape(text).Replace("\n", "&#10;").Replace("\t", "&#9;");

    /// <summary>An endless stream of one opening tag and spaces, counting what is read.</summary>
    sealed class HugeStream(long length, bool seekable) : Stream
    {
        static readonly byte[] s_start = "<testsuite>"u8.ToArray();
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => seekable;
        public override bool CanWrite => false;
        public override long Length => seekable ? length : throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var left = length - BytesRead;
            if (left <= 0) return 0;
            var n = (int)Math.Min(count, left);
            for (var i = 0; i < n; i++)
            {
                var at = BytesRead + i;
                buffer[offset + i] = at < s_start.Length ? s_start[at] : (byte)' ';
            }
            BytesRead += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
