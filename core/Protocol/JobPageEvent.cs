namespace Ci.Core.Protocol;

/// <summary>
/// Not a protocol event: the client's note that the server announced the job's page in its web app (the
/// <c>X-CI-Web-URL</c> response header). Yielded once per stream, right after <see cref="JobIdEvent"/> when there
/// is one, else before the first event. A server without a web app announces none.
/// </summary>
/// <param name="Url">The job page's absolute address.</param>
public sealed record JobPageEvent(string Url) : JobEvent;
