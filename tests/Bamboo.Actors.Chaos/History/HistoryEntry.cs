using System.Text.Json;

namespace Bamboo.Actors.Chaos.History;

/// <summary>
/// One request and its answer. The server acted on it at some instant between <see cref="Start"/> (before the request
/// was sent) and <see cref="End"/> (after the answer was read); that interval is all a check may assume about when.
/// </summary>
/// <param name="Id">Order of recording (answers), unique in a run.</param>
/// <param name="Request">What was asked.</param>
/// <param name="Node">The node (1-based) the request was sent to.</param>
/// <param name="Start">When it was sent (run timeline).</param>
/// <param name="End">When its answer was read, or it failed.</param>
/// <param name="Status">HTTP status; 0 when there was no answer (connection refused or reset, timeout).</param>
/// <param name="Body">The answer's body, or what went wrong when there was none.</param>
public sealed record HistoryEntry(int Id, ChaosRequest Request, int Node, TimeSpan Start, TimeSpan End, int Status, string Body)
{
    /// <summary>The answer as JSON, when it was a JSON object.</summary>
    public JsonElement? Json { get; } = Parse(Body);

    public RequestKind Kind => Request.Kind;

    public string SessionId => Request.SessionId;

    /// <summary>No answer, or 503: the request may or may not have taken effect, at any time after <see cref="Start"/>.</summary>
    public bool Unavailable => Status is 0 or 503;

    /// <summary>A string property of the answer.</summary>
    public string? Reply(string property) =>
        Json is { } json && json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A number property of the answer.</summary>
    public long? ReplyNumber(string property) =>
        Json is { } json && json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    /// <summary>One line: id, interval, node, request, answer.</summary>
    public string Describe() =>
        $"#{Id} [{RunClock.Format(Start)} .. {RunClock.Format(End)}] node{Node} {Request.Method.Method} {Request.Path}" +
        (Request.Body is { } body ? $" {body}" : "") + $" ({Request.Purpose}) -> {(Status == 0 ? "no answer" : Status.ToString())} {Shorten(Body)}";

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "…";

    private static JsonElement? Parse(string body)
    {
        if (!body.StartsWith('{')) return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
