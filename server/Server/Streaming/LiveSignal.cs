using Ci.Core.Protocol;
using Ci.Store;

namespace Ci.Server.Streaming;

/// <summary>What a watcher hears live about a job.</summary>
public abstract record LiveSignal
{
    private LiveSignal() { }

    /// <summary>A chunk the runner stored; one instance is shared by all the job's watchers.</summary>
    public sealed record Chunk(LogChunk Value) : LiveSignal
    {
        private LogEvent? _event;
        private byte[]? _sse;

        /// <summary>The chunk's log event (created once for all watchers).</summary>
        public LogEvent Event => _event ??= new LogEvent(Value.Text) { Sequence = Value.Sequence };

        /// <summary>The event's exact SSE bytes, encoded once for all watchers.</summary>
        public byte[] Sse => _sse ??= SseWriter.Encode(Event);
    }

    /// <summary>Nothing happened for a while: the watcher sends a keep-alive comment.</summary>
    public sealed record KeepAlive : LiveSignal
    {
        /// <summary>The only instance.</summary>
        public static readonly KeepAlive Instance = new();
    }

    /// <summary>The job ended (already stored).</summary>
    public sealed record Finished(JobRecord Job) : LiveSignal;
}
