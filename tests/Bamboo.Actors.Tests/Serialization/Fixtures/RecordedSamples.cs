using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.History;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;
using Fact = Bamboo.Actors.Runners.RunnerFact<Akka.Actor.IActorRef>;

namespace Bamboo.Actors.Tests.Serialization.Fixtures;

/// <summary>
/// The values whose bytes are recorded in <c>Fixtures/&lt;format&gt;/samples.txt</c>, line by line in this order: what
/// each recorded line must still decode to. Append only: a recorded format file holds a prefix of this list, so
/// changing or removing an entry breaks the decoding of bytes already recorded. A copy of values like those of
/// <see cref="MessageSamples"/> on purpose: those follow the protocol's tests, these stay with the recorded bytes.
/// </summary>
public static class RecordedSamples
{
    /// <summary>Name of the system the recorded actor references live in (and the decoding system must have).</summary>
    public const string SystemName = "fixture";

    /// <summary>Recorded references: fixed paths of no live actor, so the recorded bytes do not depend on a run.</summary>
    public const string ExecutorPath = "akka://fixture/user/executor";

    /// <summary>The second recorded reference (subscribers and reservers).</summary>
    public const string SubscriberPath = "akka://fixture/user/subscriber";

    private const string RunId = "6f1c2a9e-4b7d-4e0f-9a51-3d2b8c7e1f00";
    private const string OtherRunId = "0b8e4f62-1d3c-4a7b-8e95-c2f1a0d6b734";

    private static readonly DateTimeOffset T1 = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1_234_567);
    private static readonly DateTimeOffset T2 = new DateTimeOffset(2025, 3, 4, 6, 0, 0, TimeSpan.FromMinutes(-210)).AddTicks(1);
    private static readonly DateTimeOffset T3 = new DateTimeOffset(2025, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999);

    private static readonly RunRequest Request =
        new(T1, ConflictPolicy.Enqueue, "echo", "\"hello\"", "retry-1", "0A1B", TimeSpan.FromSeconds(30));

    private static T Stamped<T>(T evt, long sequence, DateTimeOffset at) where T : AgentEvent =>
        evt with { SessionId = "session/ä 1", RunId = RunId, Sequence = sequence, Timestamp = at };

    /// <summary>Every recorded value, its actor references resolved in <paramref name="system"/>.</summary>
    public static IReadOnlyList<object> All(ActorSystem system)
    {
        var provider = ((ExtendedActorSystem)system).Provider;
        var executor = provider.ResolveActorRef(ExecutorPath);
        var subscriber = provider.ResolveActorRef(SubscriberPath);
        return
        [
            // Commands and signals
            new Reserve("s1"),
            new Reserve("s1", ConflictPolicy.Enqueue, executor, TimeSpan.FromMilliseconds(1234.5678)),
            new Reserve("s1", ConflictPolicy.Interrupt, null, TimeSpan.FromDays(30)),
            new Finalize("s1", RunId, RunOutcome.Completed),
            new Finalize("s1", RunId, RunOutcome.Cancelled),
            new Finalize("s1", RunId, RunOutcome.Failed("model timed out")),
            new Cancel("s1"),
            new Cancel("s1", RunId, "user pressed stop"),
            new Publish("s1", RunId, new TokenDelta("Hel")),
            new Publish("s1", RunId, Stamped(new ToolLifecycle("search", ToolPhase.Error), 9, T1), Acknowledge: true),
            new GetStatus("emoji 😀 / $x"),
            new Subscribe("s1", subscriber),
            new Subscribe("s1", subscriber, 17),
            new Unsubscribe("s1", subscriber),
            new CancelRun("s1", RunId, "deadline exceeded"),
            SessionRunner.Stop.Instance,

            // Replies
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
            new Subscribed("s1", 17),
            new Unsubscribed("s1"),
            new InvalidCommand("s1", "runId is required"),
            new InvalidCommand(null, "session id must not be empty"),
            new RunnerSnapshot("s1", RunStatus.Pending, null, null, null, null, null, 0, null, null, false, 0, 0, 0, null),
            new RunnerSnapshot("s1", RunStatus.Error, RunId, T1, T2, "executor lost", T3, 7, "search", ToolPhase.Error, true, 3, 2, 99, T3),
            new RunnerSnapshot("s1", RunStatus.Running, RunId, T1, null, null, T2, 1, "fetch", ToolPhase.Begin, false, 0, 1, 4, T1.AddHours(1)),
            new Unavailable("s1", "journal unavailable: connection refused"),

            // Events, stamped as the runner publishes them and unstamped as an executor creates them
            Stamped(new ExecutionStarted(), 1, T1),
            Stamped(new RunQueued(3), 2, T2),
            Stamped(new RunCancelling("user pressed stop"), 3, T3),
            new RunCancelling(null),
            Stamped(new ExecutionFinished(RunStatus.Completed), 4, T1),
            Stamped(new ExecutionFinished(RunStatus.Error, "boom: \"quoted\" \\ and\nnew line"), 5, T1),
            Stamped(new TokenDelta("héllo wörld, 你好, emoji 😀, tab\tand </script>"), 6, T3),
            new TokenDelta(""),
            Stamped(new ToolStarted("search"), 7, T1),
            Stamped(new ToolLifecycle("search", ToolPhase.Finished), 8, T1),
            Stamped(new RunnerProgress(int.MaxValue), 9, T1),
            Stamped(new TokenBudget(1_234, long.MaxValue), 10, T1),
            new ReplayGap(3, 5),

            // Durable facts and snapshots (the journal and the snapshot store hold these)
            new Fact.RunStarted(RunId, T1, T3, executor),
            new Fact.RunStarted(RunId, T1, T2, null),
            new Fact.CancelRequested(RunId, "deadline exceeded"),
            new Fact.RunEnded(RunId, RunStatus.Completed, null, T2, 0, null, null),
            new Fact.RunEnded(RunId, RunStatus.Error, "executor lost", T3, 4, "search", ToolPhase.Error),
            new Fact.RunEnqueued(OtherRunId, executor, subscriber, TimeSpan.FromMinutes(3)),
            new Fact.RunEnqueued(OtherRunId, null, null, null),
            new Fact.QueuedRunWithdrawn(OtherRunId),
            new Fact.SequencesReserved(2048),
            new DurableRunnerState<IActorRef>(RunStatus.Pending, null, null, null, null, false, null, null, 0, null, null, 0, []),
            new DurableRunnerState<IActorRef>(RunStatus.Running, RunId, T1, null, null, true, executor, T3, 2, "fetch", ToolPhase.Begin, 1024,
            [
                new Fact.RunEnqueued(OtherRunId, executor, subscriber, TimeSpan.FromMinutes(3)),
                new Fact.RunEnqueued("third", null, null, null),
            ]),
            new DurableRunnerState<IActorRef>(RunStatus.Error, RunId, T1, T2, "model refused", false, null, T3, 3, null, null, 2048, []),

            // Run records and events as durable history (appended later: each field added, none renumbered)
            new Reserve("s1", ConflictPolicy.Enqueue, executor, TimeSpan.FromMinutes(5), "echo", "\"hello\"", "retry-1", TimeSpan.FromSeconds(30)),
            new Finalize("s1", RunId, RunOutcome.Completed, """{"answer":42,"sources":["a","b"]}"""),
            new Heartbeat("s1", RunId),
            new GetRun("s1", RunId),
            new DeleteSession("s1"),
            new RunRecord("s1", RunId, RunStatus.Completed, T1, T2, T3, null, ConflictPolicy.Enqueue, "echo", "\"hi\"", "{\"ok\":true}", 3,
                "search", 12, true, "stop", "caller", null),
            new RunRecord("s1", OtherRunId, RunStatus.Pending, T1, null, null, null, ConflictPolicy.Reject, null, null, null, 0, null, 0, false,
                null, null, 2),
            new UnknownRun("s1", RunId),
            new SessionDeleted("s1"),
            new Fact.RunStarted(RunId, T2, T3, executor, Request, 7),
            new Fact.CancelRequested(RunId, "user pressed stop", "caller", 8, T2),
            new Fact.RunEnded(RunId, RunStatus.Completed, null, T3, 2, "search", ToolPhase.Finished, """{"answer":42}""", 9),
            new Fact.RunEnqueued(OtherRunId, null, subscriber, null, Request, 10),
            new Fact.QueuedRunWithdrawn(OtherRunId, RunStatus.Error, "executor lost", 11, T3),
            new Fact.EventsRecorded([Stamped(new TokenDelta("a"), 12, T1), Stamped(new ToolStarted("search"), 13, T2)]),
            new Fact.SessionPurged(T3),
            new DurableRunnerState<IActorRef>(RunStatus.Running, RunId, T2, null, null, true, executor, T3, 2, "fetch", ToolPhase.Begin, 2048,
                [new Fact.RunEnqueued(OtherRunId, null, subscriber, null, Request, 10)])
            {
                Request = Request,
                CancelReason = "user pressed stop",
                CancelledBy = "caller",
                LastSequence = 13,
                Events = [Stamped(new ExecutionStarted(), 7, T2), Stamped(new TokenBudget(10, 100), 12, T2), Stamped(new ToolStarted("fetch"), 13, T3)],
                LastBudget = Stamped(new TokenBudget(10, 100), 12, T2),
                Starts = [new IdempotentStart("retry-1", "0A1B", RunId, T2, 0), new IdempotentStart("retry-2", null, OtherRunId, T3, 1)],
            },

            // Query replies and replayed starts (appended later)
            new Reserved("s1", RunId, T1, Replayed: true),
            new Queued("s1", OtherRunId, 1, Replayed: true),
            new SessionPage([new SessionSummary("s1", RunStatus.Completed, RunId, T1, T2, null, T3, 3, "search", 12, 2)], "c2Vzc2lvbnM"),
            new RunPage("s1",
                [new RunRecord("s1", RunId, RunStatus.Error, T1, T2, T3, "boom", ConflictPolicy.Interrupt, null, null, null, 1, null, 4, false,
                    null, null, null)], null),
            new Subscribed("s1", 17, Durable: true),

            // Who queued a started run (appended later)
            new Fact.RunStarted(OtherRunId, T2, T3, null, Request, 14, subscriber),
            new DurableRunnerState<IActorRef>(RunStatus.Running, OtherRunId, T2, null, null, false, null, T3, 0, null, null, 2048, [])
            {
                Request = Request,
                Reserver = subscriber,
                LastSequence = 14,
            },
        ];
    }
}
