using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Globalization;
using System.Text.Json;
using Bamboo.Actors.Events;

namespace Bamboo.Actors.Server.Sse;

/// <summary>
/// Writes Server-Sent Events frames to the response: <c>id: sequence</c>, <c>event: type</c>, <c>data: json</c>, and
/// <c>: keep-alive</c> comments. Written by hand rather than with <c>TypedResults.ServerSentEvents</c> because
/// <c>SseItem</c> cannot carry the comment lines keep-alive needs; the framing is a few bytes and JSON goes straight
/// into the response pipe.
/// </summary>
internal sealed class SseEventWriter
{
    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;

    public SseEventWriter(PipeWriter pipe)
    {
        _pipe = pipe;
        _json = new Utf8JsonWriter(pipe);
    }

    public void Write(AgentEvent evt)
    {
        // A gap marker is not an event of the stream: it has no id, so the client's Last-Event-ID stays put.
        if (evt is not ReplayGap)
        {
            _pipe.Write("id: "u8);
            WriteAscii(evt.Sequence.ToString(CultureInfo.InvariantCulture));
            _pipe.Write("\n"u8);
        }
        _pipe.Write("event: "u8);
        WriteAscii(evt.WireName());
        _pipe.Write("\ndata: "u8);
        _json.Reset(_pipe);
        EventJson.Write(_json, evt);
        _json.Flush();
        _pipe.Write("\n\n"u8);
    }

    public void WriteKeepAlive() => _pipe.Write(": keep-alive\n\n"u8);

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => _pipe.FlushAsync(cancellationToken);

    private void WriteAscii(string text)
    {
        var span = _pipe.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        _pipe.Advance(written);
    }
}
