using System.Text.Json;
using Bamboo.Actors.Chaos.History;

namespace Bamboo.Actors.Chaos.CheckSpecs;

/// <summary>Hand-made histories for the check specs: requests with given intervals (in seconds) and answers.</summary>
internal sealed class Histories
{
    public const string Session = "s";
    private readonly List<HistoryEntry> _entries = [];

    public IReadOnlyList<HistoryEntry> Entries => _entries;

    public HistoryEntry Reserved(string runId, double start, double end, int node = 1) =>
        Add(ChaosRequest.Reserve(Session, "interrupt", 5000), node, start, end, 201, new { sessionId = Session, runId, status = "running" });

    public HistoryEntry Running(string runId, double start, double end, int node = 1, long lastSequence = 1) =>
        Snapshot(start, end, node, new { sessionId = Session, status = "running", runId, lastSequence, queueLength = 0 });

    public HistoryEntry Ended(string runId, string status, double start, double end, string? error = null, int node = 1, long lastSequence = 1) =>
        Snapshot(start, end, node, new { sessionId = Session, status, runId, error, lastSequence, queueLength = 0 });

    public HistoryEntry Snapshot(double start, double end, int node, object body) =>
        Add(ChaosRequest.ReadSnapshot(Session, "read"), node, start, end, 200, body);

    public HistoryEntry Unknown(double start, double end, int node = 1) =>
        Add(ChaosRequest.ReadSnapshot(Session, "read"), node, start, end, 404, new { error = "unknown_session", detail = "" });

    public HistoryEntry Event(string runId, long sequence, double start, double end, int node = 1) =>
        Add(ChaosRequest.PublishEvent(Session, runId, new { type = "token_delta", text = "x" }, "current"), node, start, end, 202,
            new { sequence, cancelRequested = false });

    public HistoryEntry Finalized(string runId, string outcome, double start, double end, int node = 1) =>
        Add(ChaosRequest.Finalize(Session, runId, outcome, "current"), node, start, end, 200,
            new { sessionId = Session, runId, status = outcome, error = outcome == "error" ? "worker failed" : null });

    public HistoryEntry Answer(ChaosRequest request, int status, double start, double end, int node = 1) =>
        Add(request, node, start, end, status, new { error = "unavailable", detail = "" });

    public ChaosRecord Record(IReadOnlyList<FaultRecord>? faults = null, IReadOnlyList<SessionFinalRead>? finals = null,
        IReadOnlyList<JournalRow>? journal = null) => new()
    {
        Seed = 1,
        Recipe = "hand-made",
        NodeCount = 3,
        Entries = _entries,
        Faults = faults ?? [],
        UnexpectedExits = [],
        FinalReads = finals ?? [],
        Journal = journal ?? [],
        HealMargin = TimeSpan.FromSeconds(20),
        LoadStarted = TimeSpan.Zero,
        LoadStopped = TimeSpan.FromSeconds(100),
        Ended = TimeSpan.FromSeconds(120),
        Clock = new RunClock(),
    };

    private HistoryEntry Add(ChaosRequest request, int node, double start, double end, int status, object body)
    {
        var entry = new HistoryEntry(_entries.Count + 1, request, node, TimeSpan.FromSeconds(start), TimeSpan.FromSeconds(end), status,
            JsonSerializer.Serialize(body, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        _entries.Add(entry);
        return entry;
    }
}
