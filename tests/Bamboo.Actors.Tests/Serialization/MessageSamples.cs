using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Serialization;

/// <summary>
/// At least one instance of every message and event type, with every optional field both set and null. A new
/// message type needs samples here, or <see cref="BambooSerializerSpecs"/> fails.
/// </summary>
public static class MessageSamples
{
    private const string RunId = "6f1c2a9e-4b7d-4e0f-9a51-3d2b8c7e1f00";
    private const string OtherRunId = "0b8e4f62-1d3c-4a7b-8e95-c2f1a0d6b734";

    // Non-UTC offsets and sub-millisecond ticks: instants must survive exactly.
    private static readonly DateTimeOffset T1 = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1_234_567);
    private static readonly DateTimeOffset T2 = new DateTimeOffset(2025, 3, 4, 6, 0, 0, TimeSpan.FromMinutes(-210)).AddTicks(1);
    private static readonly DateTimeOffset T3 = new DateTimeOffset(2025, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999);

    /// <summary>Progress and lifecycle events as an executor creates them: payload only, nothing stamped yet.</summary>
    public static IReadOnlyList<AgentEvent> UnstampedEvents { get; } =
    [
        new ExecutionStarted(),
        new RunQueued(3),
        new RunCancelling("user pressed stop"),
        new RunCancelling(null),
        new ExecutionFinished(RunStatus.Completed),
        new ExecutionFinished(RunStatus.Error, "boom: \"quoted\" \\ and\nnew line"),
        new TokenDelta("Hel"),
        new TokenDelta(""),
        new TokenDelta("héllo wörld, 你好, emoji 😀, tab\tand </script>"),
        new ToolStarted("search"),
        new ToolLifecycle("search", ToolPhase.Begin),
        new ToolLifecycle("search", ToolPhase.Finished),
        new ToolLifecycle("search", ToolPhase.Error),
        new RunnerProgress(0),
        new RunnerProgress(int.MaxValue),
        new TokenBudget(1_234, long.MaxValue),
        new ReplayGap(3, 5),
    ];

    /// <summary>The same events as the session runner publishes them: stamped.</summary>
    public static IReadOnlyList<AgentEvent> StampedEvents { get; } = UnstampedEvents
        .Select((e, i) => e with { SessionId = "session/ä 1", RunId = RunId, Sequence = i + 1, Timestamp = i % 2 == 0 ? T1 : T3 })
        .ToList();

    /// <summary>Every sample message. <paramref name="executor"/> and <paramref name="subscriber"/> fill the actor reference fields.</summary>
    public static IReadOnlyList<object> All(IActorRef executor, IActorRef subscriber) =>
    [
        // RunnerCommands
        new Reserve("s1"),
        new Reserve("s1", ConflictPolicy.Interrupt, executor, TimeSpan.FromMilliseconds(1234.5678)),
        new Reserve("s1", ConflictPolicy.Enqueue, null, TimeSpan.FromDays(30)),
        new Reserve("s1", (ConflictPolicy)42),
        new Finalize("s1", RunId, RunOutcome.Completed),
        new Finalize("s1", RunId, RunOutcome.Cancelled),
        new Finalize("s1", RunId, RunOutcome.Failed("model timed out")),
        new Finalize("s1", RunId, RunOutcome.Failed("")),
        new Finalize("s1", RunId, null!),
        new Cancel("s1"),
        new Cancel("s1", RunId, "user pressed stop"),
        .. UnstampedEvents.Select(e => new Publish("s1", RunId, e)),
        .. StampedEvents.Select(e => new Publish("s1", RunId, e, Acknowledge: true)),
        new Publish("s1", RunId, null!),
        new GetStatus("s1"),
        new GetStatus("emoji 😀 / $x"),
        new Subscribe("s1", subscriber),
        new Subscribe("s1", subscriber, 0),
        new Subscribe("s1", subscriber, long.MaxValue),
        new Subscribe("s1", null!),
        new Unsubscribe("s1", subscriber),
        new Unsubscribe("s1", null!),
        new Reserve("s1", ConflictPolicy.Enqueue, executor, null, "echo", "{\"text\":\"hi\"}", "key-1", TimeSpan.FromSeconds(30)),
        new Finalize("s1", RunId, RunOutcome.Completed, "[1,2,3]"),
        new Heartbeat("s1", RunId),
        new GetRun("s1", RunId),
        new DeleteSession("s1"),

        // ExecutorSignals
        new CancelRun("s1", RunId, "deadline exceeded"),

        // RunnerReplies
        new Reserved("s1", RunId, T1),
        new AlreadyRunning("s1", RunId),
        new Queued("s1", RunId, 2),
        new Rejected("s1", "queue_full"),
        new Rejected("s1", "executor lost", RunId),
        new Finalized("s1", RunId, RunStatus.Completed),
        new Finalized("s1", RunId, RunStatus.Error, "deadline exceeded"),
        new StaleRun("s1", RunId, OtherRunId),
        new StaleRun("s1", RunId, null),
        new AlreadyFinalized("s1", RunId, RunStatus.Cancelled),
        new CancelRequested("s1", RunId),
        new NothingToCancel("s1"),
        new Published("s1", RunId, 42, false),
        new Published("s1", RunId, long.MaxValue, true),
        new Subscribed("s1", 0),
        new Subscribed("s1", 17),
        new Subscribed("s1", 17, Durable: true),
        new Unsubscribed("s1"),
        new InvalidCommand("s1", "runId is required"),
        new InvalidCommand(null, "session id must not be empty"),
        new RunnerSnapshot("s1", RunStatus.Pending, null, null, null, null, null, 0, null, null, false, 0, 0, 0, null),
        new RunnerSnapshot("s1", RunStatus.Error, RunId, T1, T2, "executor lost", T3, 7, "search", ToolPhase.Error,
            true, 3, 2, 99, T3),
        new RunnerSnapshot("s1", RunStatus.Running, RunId, T1, null, null, T2, 1, "fetch", ToolPhase.Begin,
            false, 0, 1, 4, T1.AddHours(1)),
        new RunRecord("s1", RunId, RunStatus.Error, T1, T2, T3, "boom", ConflictPolicy.Interrupt, null, "{}", null, 2, "fetch", 9, true,
            "deadline exceeded", "deadline", null),
        new RunRecord("s1", OtherRunId, RunStatus.Pending, T1, null, null, null, ConflictPolicy.Enqueue, "sleep", null, null, 0, null, 0, false,
            null, null, 3),
        new UnknownRun("s1", RunId),
        new SessionDeleted("s1"),
        new SessionPage([], null),
        new SessionPage(
        [
            new SessionSummary("s1", RunStatus.Running, RunId, T1, null, null, T2, 3, "fetch", 12, 4),
            new SessionSummary("s2", RunStatus.Error, OtherRunId, T1, T2, "boom", T3, 0, null, 0, 1),
        ], "c2Vzc2lvbnM"),
        new RunPage("s1", [], null),
        new RunPage("s1",
        [
            new RunRecord("s1", RunId, RunStatus.Completed, T1, T2, T3, null, ConflictPolicy.Reject, "echo", "{}", "\"done\"", 1, null, 5, false,
                null, null, null),
        ], "cnVucw"),

        // Events, as published on the EventStream and delivered to subscribers
        .. StampedEvents,
        .. UnstampedEvents,

        // Passivation and hand-off
        SessionRunner.Stop.Instance,

        new Unavailable("s1", "journal unavailable: connection refused"),

        // Durable facts and snapshots (journal and snapshot store)
        .. Facts(executor, subscriber),
    ];

    private static readonly RunRequest Request = new(T1, ConflictPolicy.Enqueue, "echo", "\"hi\"", "key-1", "digest", TimeSpan.FromSeconds(9));

    /// <summary>Every durable fact, and snapshots of the durable state.</summary>
    public static IReadOnlyList<object> Facts(IActorRef executor, IActorRef reserver) =>
    [
        new RunnerFact<IActorRef>.RunStarted(RunId, T1, T3, executor),
        new RunnerFact<IActorRef>.RunStarted(RunId, T1, T2, null),
        new RunnerFact<IActorRef>.CancelRequested(RunId, "deadline exceeded"),
        new RunnerFact<IActorRef>.RunEnded(RunId, RunStatus.Completed, null, T2, 0, null, null),
        new RunnerFact<IActorRef>.RunEnded(RunId, RunStatus.Error, "executor lost", T3, 4, "search", ToolPhase.Error),
        new RunnerFact<IActorRef>.RunEnqueued(OtherRunId, executor, reserver, TimeSpan.FromMinutes(3)),
        new RunnerFact<IActorRef>.RunEnqueued(OtherRunId, null, null, null),
        new RunnerFact<IActorRef>.QueuedRunWithdrawn(OtherRunId),
        new RunnerFact<IActorRef>.SequencesReserved(2048),
        new RunnerFact<IActorRef>.RunStarted(RunId, T1, T3, executor, Request, 5),
        new RunnerFact<IActorRef>.RunStarted(RunId, T1, T3, null, Request, 5, reserver),
        new RunnerFact<IActorRef>.CancelRequested(RunId, "stop", CancelSources.Caller, 6, T2),
        new RunnerFact<IActorRef>.RunEnded(RunId, RunStatus.Cancelled, null, T3, 1, "search", ToolPhase.Begin, "null", 7),
        new RunnerFact<IActorRef>.RunEnqueued(OtherRunId, executor, reserver, null, Request, 8),
        new RunnerFact<IActorRef>.QueuedRunWithdrawn(OtherRunId, RunStatus.Error, "executor lost", 9, T3),
        new RunnerFact<IActorRef>.QueuedRunWithdrawn(OtherRunId, RunStatus.Cancelled, null, 10, T3),
        new RunnerFact<IActorRef>.EventsRecorded([.. StampedEvents.Where(e => !e.IsLifecycle())]),
        new RunnerFact<IActorRef>.EventsRecorded([]),
        new RunnerFact<IActorRef>.SessionPurged(T2),
        new DurableRunnerState<IActorRef>(RunStatus.Pending, null, null, null, null, false, null, null, 0, null, null, 0, []),
        new DurableRunnerState<IActorRef>(RunStatus.Completed, RunId, T1, T2, null, false, null, T3, 2, null, null, 1024, [])
        {
            Request = Request,
            Output = "{\"ok\":true}",
            LastSequence = 40,
            Events = [.. StampedEvents.Where(e => e is not ReplayGap)],
            LastBudget = StampedEvents.OfType<TokenBudget>().First(),
            Starts = [new IdempotentStart("key-1", "digest", RunId, T1, 0)],
        },
        new DurableRunnerState<IActorRef>(RunStatus.Running, RunId, T1, null, null, true, executor, T3, 2, "fetch", ToolPhase.Begin, 1024,
        [
            new RunnerFact<IActorRef>.RunEnqueued(OtherRunId, executor, reserver, TimeSpan.FromMinutes(3)),
            new RunnerFact<IActorRef>.RunEnqueued("third", null, null, null),
        ]) { Reserver = reserver },
    ];
}
