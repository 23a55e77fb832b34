using System.Net;
using System.Text;

namespace Ci.Core.Tests.Support;

/// <summary>What the fake server saw: the request line, headers and the whole body.</summary>
public sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body, string? ContentType);
