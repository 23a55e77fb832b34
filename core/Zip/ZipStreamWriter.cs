using System.Buffers.Binary;
using System.Text;

namespace Ci.Core.Zip;

/// <summary>
/// Writes a standard zip (PKWARE APPNOTE: local headers, data, central directory) front to back onto a stream
/// that need not be seekable. Hand-written because <see cref="System.IO.Compression.ZipArchive"/> compresses
/// each entry itself, one at a time: entries packed in parallel elsewhere need a writer that takes their
/// bytes as they are. Entries whose sizes are known up front get them in the local header; streamed entries
/// (written piece by piece) set flag bit 3 and end with a data descriptor. Zip64 records are added only when
/// the archive needs them (more than 65,535 entries or offsets past 4 GiB); a single entry must stay under 4 GiB.
/// </summary>
public sealed class ZipStreamWriter : IAsyncDisposable
{
    /// <summary>Compression method 0: the bytes as they are.</summary>
    public const ushort Stored = 0;

    /// <summary>Compression method 8: raw deflate (RFC 1951).</summary>
    public const ushort Deflated = 8;

    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint DataDescriptorSignature = 0x08074b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndOfCentralDirectorySignature = 0x06054b50;
    private const uint Zip64EndOfCentralDirectorySignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const ushort FlagDataDescriptor = 1 << 3;
    private const ushort FlagUtf8Name = 1 << 11;
    private const ushort VersionNeeded = 20;
    private const ushort VersionNeededZip64 = 45;
    // Made by Unix (3) so that readers take the high 16 bits of the external attributes as st_mode.
    private const ushort VersionMadeBy = (3 << 8) | VersionNeededZip64;
    private const int UnixRegularFile = 0x8000;
    private const int BufferSize = 64 * 1024;

    private readonly Stream _destination;
    private readonly List<CentralEntry> _entries = [];
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _buffered;
    private long _offset;
    private CentralEntry? _open;
    private bool _finished;

    /// <summary>Creates a writer; the destination is left open.</summary>
    public ZipStreamWriter(Stream destination) => _destination = destination;

    /// <summary>Bytes written so far (including what is still buffered).</summary>
    public long Position => _offset;

    /// <summary>The largest entry this writer can hold (no Zip64 sizes).</summary>
    public const long MaxEntrySize = uint.MaxValue - 1;

    /// <summary>Writes a whole entry whose CRC-32 and sizes are known.</summary>
    public async ValueTask AddEntryAsync(string name, ushort method, DateTime lastWriteTime, UnixFileMode mode,
        uint crc, long uncompressedSize, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var entry = Begin(name, method, lastWriteTime, mode, streamed: false);
        entry.Crc = crc;
        entry.CompressedSize = data.Length;
        entry.UncompressedSize = CheckSize(name, uncompressedSize);
        await WriteLocalHeaderAsync(entry, cancellationToken).ConfigureAwait(false);
        await WriteRawAsync(data, cancellationToken).ConfigureAwait(false);
        _open = null;
    }

    /// <summary>Starts an entry whose data follows in pieces (<see cref="WriteDataAsync"/>), closed by <see cref="EndStreamedEntryAsync"/>.</summary>
    public ValueTask BeginStreamedEntryAsync(string name, ushort method, DateTime lastWriteTime, UnixFileMode mode, CancellationToken cancellationToken)
    {
        _open = Begin(name, method, lastWriteTime, mode, streamed: true);
        return WriteLocalHeaderAsync(_open, cancellationToken);
    }

    /// <summary>Appends data (already compressed with the entry's method) to the streamed entry.</summary>
    public ValueTask WriteDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var entry = _open ?? throw new InvalidOperationException("No streamed entry is open.");
        entry.CompressedSize += data.Length;
        CheckSize(entry.Name, entry.CompressedSize);
        return WriteRawAsync(data, cancellationToken);
    }

    /// <summary>Ends the streamed entry with its data descriptor.</summary>
    public async ValueTask EndStreamedEntryAsync(uint crc, long uncompressedSize, CancellationToken cancellationToken)
    {
        var entry = _open ?? throw new InvalidOperationException("No streamed entry is open.");
        entry.Crc = crc;
        entry.UncompressedSize = CheckSize(entry.Name, uncompressedSize);
        var descriptor = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor, DataDescriptorSignature);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor.AsSpan(4), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor.AsSpan(8), (uint)entry.CompressedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor.AsSpan(12), (uint)entry.UncompressedSize);
        await WriteRawAsync(descriptor, cancellationToken).ConfigureAwait(false);
        _open = null;
    }

    /// <summary>Writes the central directory and the end records, then flushes. No entry may follow.</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken)
    {
        if (_open is not null)
            throw new InvalidOperationException($"Entry '{_open.Name}' was not ended.");
        if (_finished)
            return;
        _finished = true;
        var directoryOffset = _offset;
        foreach (var entry in _entries)
            await WriteRawAsync(CentralHeader(entry), cancellationToken).ConfigureAwait(false);
        var directorySize = _offset - directoryOffset;

        var needsZip64 = _entries.Count >= ushort.MaxValue || directoryOffset >= uint.MaxValue || directorySize >= uint.MaxValue;
        if (needsZip64)
        {
            var zip64End = new byte[56 + 20];
            var span = zip64End.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(span, Zip64EndOfCentralDirectorySignature);
            BinaryPrimitives.WriteUInt64LittleEndian(span[4..], 44);
            BinaryPrimitives.WriteUInt16LittleEndian(span[12..], VersionMadeBy);
            BinaryPrimitives.WriteUInt16LittleEndian(span[14..], VersionNeededZip64);
            BinaryPrimitives.WriteUInt64LittleEndian(span[24..], (ulong)_entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(span[32..], (ulong)_entries.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(span[40..], (ulong)directorySize);
            BinaryPrimitives.WriteUInt64LittleEndian(span[48..], (ulong)directoryOffset);
            var locator = span[56..];
            BinaryPrimitives.WriteUInt32LittleEndian(locator, Zip64LocatorSignature);
            BinaryPrimitives.WriteUInt64LittleEndian(locator[8..], (ulong)(directoryOffset + directorySize));
            BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);
            await WriteRawAsync(zip64End, cancellationToken).ConfigureAwait(false);
        }

        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, EndOfCentralDirectorySignature);
        var count = (ushort)Math.Min(_entries.Count, ushort.MaxValue);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)Math.Min(directorySize, uint.MaxValue));
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), (uint)Math.Min(directoryOffset, uint.MaxValue));
        await WriteRawAsync(end, cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes out what is buffered.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffered > 0)
        {
            await _destination.WriteAsync(_buffer.AsMemory(0, _buffered), cancellationToken).ConfigureAwait(false);
            _buffered = 0;
        }
        await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes what is buffered; does not finish the archive (an unfinished zip is invalid on purpose).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_buffered > 0 && _finished)
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The DOS date and time of <paramref name="time"/>, clamped to what the format can hold (1980-2107).</summary>
    /// <param name="time">A local time.</param>
    public static (ushort Time, ushort Date) DosDateTime(DateTime time)
    {
        if (time.Year < 1980)
            time = new DateTime(1980, 1, 1);
        else if (time.Year > 2107)
            time = new DateTime(2107, 12, 31, 23, 59, 58);
        return ((ushort)((time.Hour << 11) | (time.Minute << 5) | (time.Second / 2)),
            (ushort)(((time.Year - 1980) << 9) | (time.Month << 5) | time.Day));
    }

    private CentralEntry Begin(string name, ushort method, DateTime lastWriteTime, UnixFileMode mode, bool streamed)
    {
        if (_finished)
            throw new InvalidOperationException("The archive is finished.");
        if (_open is not null)
            throw new InvalidOperationException($"Entry '{_open.Name}' was not ended.");
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > ushort.MaxValue)
            throw new IOException($"The path '{name}' is too long for a zip entry.");
        var (time, date) = DosDateTime(lastWriteTime);
        var flags = (ushort)((streamed ? FlagDataDescriptor : 0) | (Ascii.IsValid(nameBytes) ? 0 : FlagUtf8Name));
        var entry = new CentralEntry(name, nameBytes, flags, method, time, date, ((UnixRegularFile | (int)mode) << 16), _offset);
        _entries.Add(entry);
        return entry;
    }

    private static long CheckSize(string name, long size) =>
        size is < 0 or > MaxEntrySize ? throw new IOException($"The file '{name}' is 4 GiB or larger; a project zip cannot hold it.") : size;

    private ValueTask WriteLocalHeaderAsync(CentralEntry entry, CancellationToken cancellationToken)
    {
        var header = new byte[30 + entry.NameBytes.Length];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, LocalHeaderSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], VersionNeeded);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], entry.Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], entry.Method);
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], entry.DosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(span[12..], entry.DosDate);
        if ((entry.Flags & FlagDataDescriptor) == 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[14..], entry.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(span[18..], (uint)entry.CompressedSize);
            BinaryPrimitives.WriteUInt32LittleEndian(span[22..], (uint)entry.UncompressedSize);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(span[26..], (ushort)entry.NameBytes.Length);
        entry.NameBytes.CopyTo(span[30..]);
        return WriteRawAsync(header, cancellationToken);
    }

    private static byte[] CentralHeader(CentralEntry entry)
    {
        // Only the offset can pass 4 GiB (sizes are bounded by CheckSize); it then moves to a Zip64 extra field.
        var zip64Offset = entry.LocalHeaderOffset >= uint.MaxValue;
        var extraLength = zip64Offset ? 12 : 0;
        var header = new byte[46 + entry.NameBytes.Length + extraLength];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, CentralHeaderSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], VersionMadeBy);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], zip64Offset ? VersionNeededZip64 : VersionNeeded);
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], entry.Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], entry.Method);
        BinaryPrimitives.WriteUInt16LittleEndian(span[12..], entry.DosTime);
        BinaryPrimitives.WriteUInt16LittleEndian(span[14..], entry.DosDate);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], entry.Crc);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)entry.CompressedSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)entry.UncompressedSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[28..], (ushort)entry.NameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[30..], (ushort)extraLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[38..], entry.ExternalAttributes);
        BinaryPrimitives.WriteUInt32LittleEndian(span[42..], zip64Offset ? uint.MaxValue : (uint)entry.LocalHeaderOffset);
        entry.NameBytes.CopyTo(span[46..]);
        if (zip64Offset)
        {
            var extra = span[(46 + entry.NameBytes.Length)..];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x0001);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], 8);
            BinaryPrimitives.WriteUInt64LittleEndian(extra[4..], (ulong)entry.LocalHeaderOffset);
        }
        return header;
    }

    private async ValueTask WriteRawAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _offset += data.Length;
        if (_buffered + data.Length <= BufferSize)
        {
            data.CopyTo(_buffer.AsMemory(_buffered));
            _buffered += data.Length;
            return;
        }
        if (_buffered > 0)
        {
            await _destination.WriteAsync(_buffer.AsMemory(0, _buffered), cancellationToken).ConfigureAwait(false);
            _buffered = 0;
        }
        if (data.Length >= BufferSize / 2)
        {
            await _destination.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            return;
        }
        data.CopyTo(_buffer);
        _buffered = data.Length;
    }

    private sealed class CentralEntry(string name, byte[] nameBytes, ushort flags, ushort method, ushort dosTime, ushort dosDate,
        int externalAttributes, long localHeaderOffset)
    {
        public string Name { get; } = name;
        public byte[] NameBytes { get; } = nameBytes;
        public ushort Flags { get; } = flags;
        public ushort Method { get; } = method;
        public ushort DosTime { get; } = dosTime;
        public ushort DosDate { get; } = dosDate;
        public int ExternalAttributes { get; } = externalAttributes;
        public long LocalHeaderOffset { get; } = localHeaderOffset;
        public uint Crc { get; set; }
        public long CompressedSize { get; set; }
        public long UncompressedSize { get; set; }
    }
}
