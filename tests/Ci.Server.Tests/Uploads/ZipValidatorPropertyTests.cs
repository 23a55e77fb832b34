using System.IO.Compression;
using System.Text;
using Ci.Server.Uploads;
using CsCheck;

namespace Ci.Server.Tests.Uploads;

/// <summary>
/// Random zips against the upload rules. The model of a safe entry below is written from the rules
/// (PROTOCOL.md, ZipPolicy's doc), not from its code: the validator must accept exactly what the model
/// accepts, reject everything else with its own one-line rejection, and the extractor must never write
/// outside its destination. Runs are short (a few hundred samples) so they belong to the normal suite;
/// a failure prints the seed CsCheck needs to replay it.
/// </summary>
public class ZipValidatorPropertyTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "ci-zip-property", Guid.NewGuid().ToString("N"));

    static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // Unix st_mode file types as zip tools store them in the high 16 bits of the external attributes.
    const int Fifo = 0x1000, CharDevice = 0x2000, Directory_ = 0x4000, BlockDevice = 0x6000, Regular = 0x8000, Symlink = 0xA000, Socket = 0xC000;

    public sealed record Entry(string Name, int UnixMode, byte[] Content)
    {
        public override string ToString() => $"({Escape(Name)}, 0{Convert.ToString(UnixMode, 8)}, {Content.Length} bytes)";
    }

    static readonly Gen<string> Segment = Gen.Frequency(
        (8, Gen.OneOf("src", "tests", "test_a.py", "a", "b.txt", ".hidden", "with space", "Ünïcödé", "日本語", "emoji😀")),
        (4, Gen.OneOf("..", ".", "")),
        (2, Gen.OneOf("C:", "c:", "x:y", "a\\b", "..\\..\\evil", "\\")),
        (2, Gen.OneOf("nul\0x", "\u0001ctl", "tab\tx", "new\nline", "\u007f", "\u001b[31m")),
        (1, Gen.Int[200, 300].Select(length => new string('l', length))),
        (2, Gen.Char["az.:/\\\0é中"].Array[1, 6].Select(chars => new string(chars))));

    static readonly Gen<string> Prefix = Gen.Frequency((12, Gen.Const("")), (1, Gen.OneOf("/", "C:", "C:/", "d:\\", "\\\\server\\share\\", "//")));

    static readonly Gen<string> Name = Gen.Select(
        Prefix, Segment.Array[1, 4], Gen.Frequency((4, Gen.Const("")), (1, Gen.Const("/"))),
        (prefix, segments, suffix) => prefix + string.Join('/', segments) + suffix)
        .Where(name => name.Length > 0); // ZipArchive cannot write an empty name

    static readonly Gen<int> Mode = Gen.Select(
        Gen.Frequency((4, Gen.Const(0)), (6, Gen.Const(Regular)), (3, Gen.Const(Directory_)), (2, Gen.Const(Symlink)), (1, Gen.OneOf(Fifo, CharDevice, BlockDevice, Socket))),
        Gen.Int[0, 0xFFF],
        (type, permissions) => type | permissions);

    static readonly Gen<Entry[]> Entries = Gen.Select(Name, Mode, Gen.Byte.Array[0, 64], (name, mode, content) => new Entry(name, mode, content)).Array[1, 4];

    [Fact]
    public async Task Random_entry_names_and_kinds_are_accepted_exactly_when_safe_and_never_unpack_outside_the_destination()
    {
        var sample = 0;
        await Entries.SampleAsync(async entries =>
        {
            var folder = Path.Combine(_root, $"a{sample++}");
            Directory.CreateDirectory(folder);
            var zipPath = Path.Combine(folder, "upload.zip");
            WriteZip(zipPath, entries);
            // The names as the archive stores them (UTF-8: an unpaired surrogate would not survive).
            var stored = ReadBackNames(zipPath);

            var modelAccepts = stored.Zip(entries).All(pair => SafeName(pair.First) && SafeKind(pair.First, pair.Second.UnixMode)) && FitsTogether(stored, entries);
            var accepted = await AcceptsAsync(zipPath);
            Assert.True(modelAccepts == accepted, $"model says {(modelAccepts ? "safe" : "unsafe")}, validator {(accepted ? "accepted" : "rejected")}");

            // Deep enough that up to three '..' would still land inside 'folder', where the check below looks.
            var destination = Path.Combine(folder, "x", "y", "z", "dest");
            var absoluteTargets = stored.Where(name => name.StartsWith('/') && !name.Contains('\0')).Select(Path.GetFullPath).ToList();
            var existedBefore = absoluteTargets.Where(Path.Exists).ToHashSet();
            var extracted = await ExtractsAsync(zipPath, destination);

            var outside = Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
                .Where(path => path != zipPath && !IsUnderOrAncestorOf(path, destination))
                .ToList();
            Assert.True(outside.Count == 0, $"written outside the destination: {string.Join(", ", outside)}");
            Assert.DoesNotContain(absoluteTargets, target => !existedBefore.Contains(target) && Path.Exists(target));
            Assert.True(!extracted || accepted, "the extractor unpacked a zip the validator rejects");
            if (accepted)
            {
                Assert.True(extracted, "the extractor refused a safe zip");
                foreach (var (name, entry) in stored.Zip(entries).Where(pair => !IsDirectory(pair.First, pair.Second.UnixMode)))
                {
                    var relative = Normalize(name);
                    if (relative.Length > 0) Assert.Equal(entry.Content, await File.ReadAllBytesAsync(Path.Combine(destination, relative), Token));
                }
            }
            Directory.Delete(folder, recursive: true);
        }, iter: 300, threads: 1, print: entries => string.Join(" ", entries.Select(entry => entry.ToString())));
    }

    [Fact]
    public async Task Random_corruptions_and_truncations_of_a_valid_zip_are_rejected_cleanly_or_accepted_never_crash_nor_hang()
    {
        Directory.CreateDirectory(_root);
        var validPath = Path.Combine(_root, "valid.zip");
        WriteZip(validPath,
        [
            new Entry("conftest.py", Regular | 0b110_100_100, Encoding.UTF8.GetBytes("import os\n" + new string('#', 2000))),
            new Entry("pkg/", Directory_ | 0b111_101_101, []),
            new Entry("pkg/test_a.py", 0, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("def test_a():\n    assert True\n", 50)))),
            new Entry("run.sh", Regular | 0b111_101_101, Encoding.UTF8.GetBytes("#!/bin/sh\necho hi\n")),
        ]);
        var valid = await File.ReadAllBytesAsync(validPath, Token);
        Assert.True(await AcceptsAsync(validPath), "the unmutated zip is valid");

        var mutation = Gen.Frequency(
            (5, Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, (at, value) => (Func<byte[], byte[]>)(bytes => Overwrite(bytes, at, value)))),
            (2, Gen.Int[0, valid.Length - 1].Select(length => (Func<byte[], byte[]>)(bytes => bytes[..Math.Min(length, bytes.Length)]))),
            (2, Gen.Select(Gen.Int[0, valid.Length], Gen.Byte.Array[1, 8], (at, inserted) => (Func<byte[], byte[]>)(bytes => Insert(bytes, at, inserted)))),
            // Header fields that steer the reader: sizes, offsets, counts (0xFF.. makes them huge).
            (2, Gen.Select(Gen.Int[0, valid.Length - 4], Gen.OneOf<byte>(0x00, 0xFF, 0x7F, 0x80), (at, fill) => (Func<byte[], byte[]>)(bytes => Fill(bytes, at, 4, fill)))));
        var sample = 0;
        await mutation.Array[1, 6].SampleAsync(async mutations =>
        {
            var folder = Path.Combine(_root, $"m{sample++}");
            Directory.CreateDirectory(folder);
            var bytes = mutations.Aggregate(valid, (current, mutate) => mutate(current));
            var zipPath = Path.Combine(folder, "mutated.zip");
            await File.WriteAllBytesAsync(zipPath, bytes, Token);

            // A hang is a failure too: each sample gets a few seconds (the valid zip checks in milliseconds).
            var accepted = await AcceptsAsync(zipPath).WaitAsync(TimeSpan.FromSeconds(10), Token);
            var extracted = await ExtractsAsync(zipPath, Path.Combine(folder, "dest")).WaitAsync(TimeSpan.FromSeconds(10), Token);

            Assert.True(!extracted || accepted, "the extractor unpacked a zip the validator rejects");
            Directory.Delete(folder, recursive: true);
        }, iter: 300, threads: 1, print: mutations => $"{mutations.Length} mutation(s)");
    }

    // ----- The model: what the upload rules call a safe entry. -----

    /// <summary>
    /// A name is safe when it stays inside the workspace on every platform: relative, no parent steps,
    /// no Windows separators, drives or stream names, no NUL; and when a file system can hold it
    /// (a file or folder name up to 255 bytes, the whole name up to 1024).
    /// </summary>
    static bool SafeName(string name)
    {
        if (name.Length == 0 || name[0] == '/') return false;
        if (Encoding.UTF8.GetByteCount(name) > 1024 || name.Split('/').Any(segment => Encoding.UTF8.GetByteCount(segment) > 255)) return false;
        if (name.Contains('\\') || name.Contains('\0')) return false;
        if (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])) return false;
        return name.Split('/').All(segment => segment != ".." && !segment.Contains(':'));
    }

    /// <summary>Only regular files and folders; without Unix information the trailing slash decides.</summary>
    static bool SafeKind(string name, int unixMode) => (unixMode & 0xF000) switch
    {
        0 => true,
        Regular => !name.EndsWith('/'),
        Directory_ => true,
        _ => false,
    };

    static bool IsDirectory(string name, int unixMode) => (unixMode & 0xF000) == Directory_ || ((unixMode & 0xF000) == 0 && name.EndsWith('/'));

    static string Normalize(string name) => string.Join('/', name.Split('/').Where(segment => segment.Length > 0 && segment != "."));

    /// <summary>
    /// Whether the entries can all be unpacked side by side: no path twice as a file, no file where a
    /// folder must be.
    /// </summary>
    static bool FitsTogether(IReadOnlyList<string> names, IReadOnlyList<Entry> entries)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var path = Normalize(names[i]);
            if (path.Length == 0) continue;
            var parts = path.Split('/');
            for (var depth = 1; depth < parts.Length; depth++) folders.Add(string.Join('/', parts[..depth]));
            if (IsDirectory(names[i], entries[i].UnixMode)) folders.Add(path);
            else if (!files.Add(path)) return false;
        }
        return !files.Overlaps(folders);
    }

    // ----- The system under test, reduced to yes/no; any other exception fails the property. -----

    async Task<bool> AcceptsAsync(string zipPath)
    {
        try
        {
            await new UploadValidator(UploadLimits.Default, _root).ValidateZipAsync(zipPath, Token);
            return true;
        }
        catch (UploadRejectedException rejection)
        {
            Assert.True(rejection.StatusCode is 400 or 413, $"status {rejection.StatusCode}");
            // One readable line, whatever the entry names hold.
            Assert.False(rejection.Message.Any(char.IsControl), $"control characters in: {Escape(rejection.Message)}");
            return false;
        }
    }

    static async Task<bool> ExtractsAsync(string zipPath, string destination)
    {
        await using var zip = File.OpenRead(zipPath);
        try
        {
            await SafeZipExtractor.ExtractAsync(zip, destination, UploadLimits.Default, Token);
            return true;
        }
        catch (UploadRejectedException rejection)
        {
            Assert.True(rejection.StatusCode is 400 or 413, $"status {rejection.StatusCode}");
            return false;
        }
    }

    // ----- Helpers -----

    static void WriteZip(string path, IEnumerable<Entry> entries)
    {
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in entries)
        {
            var zipEntry = archive.CreateEntry(entry.Name, CompressionLevel.Fastest);
            zipEntry.ExternalAttributes = entry.UnixMode << 16;
            using var content = zipEntry.Open();
            content.Write(entry.Content);
        }
    }

    static List<string> ReadBackNames(string path)
    {
        using var archive = ZipFile.OpenRead(path);
        return [.. archive.Entries.Select(entry => entry.FullName)];
    }

    static bool IsUnderOrAncestorOf(string path, string destination) =>
        path == destination || path.StartsWith(destination + "/", StringComparison.Ordinal) || destination.StartsWith(path + "/", StringComparison.Ordinal);

    static byte[] Overwrite(byte[] bytes, int at, byte value)
    {
        var copy = (byte[])bytes.Clone();
        if (at < copy.Length) copy[at] = value;
        return copy;
    }

    static byte[] Fill(byte[] bytes, int at, int count, byte value)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = at; i < Math.Min(at + count, copy.Length); i++) copy[i] = value;
        return copy;
    }

    static byte[] Insert(byte[] bytes, int at, byte[] inserted) => [.. bytes[..Math.Min(at, bytes.Length)], .. inserted, .. bytes[Math.Min(at, bytes.Length)..]];

    static string Escape(string text)
    {
        var escaped = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') escaped.Append($"\\u{(int)c:x4}");
            else escaped.Append(c);
        }
        return escaped.Append('"').ToString();
    }
}
