using System.Globalization;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.Model.Nodes;

/// <summary>One node incarnation's Akka log, in a file, stamped on the run's timeline (to read beside the history).</summary>
public sealed class NodeLog : IDisposable
{
    private readonly object _gate = new();
    private readonly StreamWriter? _writer;
    private readonly RunClock _clock;
    private readonly string _label;

    public NodeLog(string? path, RunClock clock, string label)
    {
        _clock = clock;
        _label = label;
        if (path is not null) _writer = new StreamWriter(path, append: true) { AutoFlush = false };
    }

    /// <summary>Lines at warning level or above.</summary>
    public int Warnings { get; private set; }

    public int Errors { get; private set; }

    public void Write(LogEvent evt)
    {
        lock (_gate)
        {
            if (evt.LogLevel() == LogLevel.ErrorLevel) Errors++;
            else if (evt.LogLevel() == LogLevel.WarningLevel) Warnings++;
            if (_writer is null) return;
            var at = RunClock.Format(_clock.Of(new DateTimeOffset(evt.Timestamp, TimeSpan.Zero)));
            _writer.Write(at);
            _writer.Write(' ');
            _writer.Write(_label);
            _writer.Write(' ');
            _writer.Write(evt.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant());
            _writer.Write(" [");
            _writer.Write(evt.LogSource);
            _writer.Write("] ");
            _writer.WriteLine(evt.Message?.ToString());
            if (evt.Cause is { } cause) _writer.WriteLine("    " + cause.GetType().Name + ": " + cause.Message);
        }
    }

    public void Note(string line)
    {
        lock (_gate) _writer?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{RunClock.Format(_clock.Now)} {_label} HARNESS {line}"));
    }

    public void Flush()
    {
        lock (_gate) _writer?.Flush();
    }

    public void Dispose()
    {
        lock (_gate) _writer?.Dispose();
    }
}

/// <summary>The logger actor of a harness node (<c>akka.loggers</c>): writes into its incarnation's <see cref="NodeLog"/>.</summary>
public sealed class NodeLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public NodeLogger()
    {
        var log = NodeContext.Of(Context.System).Log;
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(log.Write);
    }
}
