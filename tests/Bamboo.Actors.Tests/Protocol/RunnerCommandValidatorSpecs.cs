using Akka.Actor;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Tests.Protocol;

public sealed class RunnerCommandValidatorSpecs
{
    private static readonly IActorRef Someone = ActorRefs.Nobody;

    public static TheoryData<object> WellFormedCommands => new()
    {
        new Reserve("s1"),
        new Reserve("s1", ConflictPolicy.Interrupt, Someone, TimeSpan.FromTicks(1)),
        new Reserve("s1", ConflictPolicy.Enqueue, null, RunnerCommandValidator.MaxDeadline),
        new Finalize("s1", "run-1", RunOutcome.Completed),
        new Finalize("s1", new string('r', RunnerCommandValidator.MaxRunIdLength), RunOutcome.Failed("boom")),
        new Cancel("s1"),
        new Cancel("s1", "run-1", "because"),
        new Publish("s1", "run-1", new TokenDelta("")),
        new Publish("s1", "run-1", new ToolStarted("search"), Acknowledge: true),
        new Publish("s1", "run-1", new ToolLifecycle("search", ToolPhase.Error)),
        new Publish("s1", "run-1", new RunnerProgress(0)),
        new Publish("s1", "run-1", new TokenBudget(0, 0)),
        new GetStatus("s1"),
        new Subscribe("s1", Someone),
        new Subscribe("s1", Someone, 0),
        new Unsubscribe("s1", Someone),
        new GetStatus("a/b"),
        new GetStatus(".."),
        new GetStatus("😀"),
    };

    public static TheoryData<object, string> MalformedCommands => new()
    {
        { new Reserve("s1", (ConflictPolicy)9), "unknown conflict policy 9" },
        { new Reserve("s1", Deadline: TimeSpan.Zero), "deadline must be positive" },
        { new Reserve("s1", Deadline: TimeSpan.FromSeconds(-1)), "deadline must be positive" },
        { new Reserve("s1", Deadline: RunnerCommandValidator.MaxDeadline + TimeSpan.FromTicks(1)), "deadline must be at most 30 days" },
        { new Finalize("s1", null!, RunOutcome.Completed), "runId is required" },
        { new Finalize("s1", "", RunOutcome.Completed), "runId is required" },
        { new Finalize("s1", new string('r', 129), RunOutcome.Completed), "runId must be at most 128 characters" },
        { new Finalize("s1", "run-1", null!), "outcome is required" },
        { new Cancel("s1", ""), "runId is required" },
        { new Cancel("s1", new string('r', 129)), "runId must be at most 128 characters" },
        { new Publish("s1", "", new TokenDelta("x")), "runId is required" },
        { new Publish("s1", "run-1", null!), "event is required" },
        { new Publish("s1", "run-1", new ExecutionFinished(RunStatus.Completed)), "'execution_finished' is a lifecycle event; only the runner publishes it" },
        { new Publish("s1", "run-1", new TokenDelta(null!)), "token_delta needs text" },
        { new Publish("s1", "run-1", new ToolLifecycle("t", (ToolPhase)3)), "unknown tool phase 3" },
        { new Subscribe("s1", null!), "subscriber is required" },
        { new Subscribe("s1", Someone, -1), "afterSequence must not be negative" },
        { new Unsubscribe("s1", null!), "subscriber is required" },
    };

    public static TheoryData<AgentEvent?, string?> Events => new()
    {
        { null, "event is required" },
        { new ExecutionStarted(), "'execution_started' is a lifecycle event; only the runner publishes it" },
        { new RunQueued(1), "'run_queued' is a lifecycle event; only the runner publishes it" },
        { new RunCancelling(null), "'run_cancelling' is a lifecycle event; only the runner publishes it" },
        { new ExecutionFinished(RunStatus.Error, "x"), "'execution_finished' is a lifecycle event; only the runner publishes it" },
        { new ReplayGap(1, 1), "'replay_gap' is a lifecycle event; only the runner publishes it" },
        { new TokenDelta(null!), "token_delta needs text" },
        { new TokenDelta(""), null },
        { new ToolStarted(""), "tool_started needs toolName" },
        { new ToolStarted("t"), null },
        { new ToolLifecycle(null!, ToolPhase.Begin), "tool_lifecycle needs toolName" },
        { new ToolLifecycle("t", (ToolPhase)(-1)), "unknown tool phase -1" },
        { new ToolLifecycle("t", ToolPhase.Finished), null },
        { new RunnerProgress(-1), "roundCount must not be negative" },
        { new RunnerProgress(int.MaxValue), null },
        { new TokenBudget(-1, 0), "token budget values must not be negative" },
        { new TokenBudget(0, -1), "token budget values must not be negative" },
        { new TokenBudget(long.MaxValue, 1), null },
        { new EmbedderEvent("x"), "unknown event type EmbedderEvent" },
    };

    /// <summary>An event type of an embedder's own (AgentEvent can be subclassed): it has no wire name or replay rule.</summary>
    public sealed record EmbedderEvent(string Payload) : AgentEvent;

    [Theory]
    [MemberData(nameof(WellFormedCommands))]
    public void Should_accept_a_well_formed_command(object command)
    {
        Assert.Null(RunnerCommandValidator.Validate(command));
    }

    [Theory]
    [MemberData(nameof(MalformedCommands))]
    public void Should_explain_what_is_wrong_with_a_malformed_command(object command, string reason)
    {
        Assert.Equal(reason, RunnerCommandValidator.Validate(command));
    }

    [Theory]
    [InlineData(null, "session id must not be empty")]
    [InlineData("", "session id must not be empty")]
    [InlineData("a\u0085", "session id must not contain control characters (U+0085 at 1)")]
    [InlineData("\u007f", "session id must not contain control characters (U+007F at 0)")]
    public void Should_check_the_session_id_of_every_command_first(string? sessionId, string reason)
    {
        AssertSessionIdReportedFirst(sessionId, reason);
    }

    [Fact]
    public void Should_check_the_session_id_of_every_command_for_unpaired_surrogates_first()
    {
        AssertSessionIdReportedFirst("ok" + (char)0xD800, "session id must be valid text (unpaired surrogate at 2)");
    }

    private static void AssertSessionIdReportedFirst(string? sessionId, string reason)
    {
        // Every other field is malformed too: the session id is reported.
        var commands = new object[]
        {
            new Reserve(sessionId!, (ConflictPolicy)9, Deadline: TimeSpan.Zero),
            new Finalize(sessionId!, "", null!),
            new Cancel(sessionId!, ""),
            new Publish(sessionId!, "", null!),
            new GetStatus(sessionId!),
            new Subscribe(sessionId!, null!, -1),
            new Unsubscribe(sessionId!, null!),
        };

        Assert.All(commands, command => Assert.Equal(reason, RunnerCommandValidator.Validate(command)));
    }

    [Fact]
    public void Should_reject_session_ids_longer_than_256_characters_in_any_command()
    {
        Assert.Null(RunnerCommandValidator.Validate(new GetStatus(new string('s', 256))));
        Assert.Equal("session id must be at most 256 characters (got 257)",
            RunnerCommandValidator.Validate(new Cancel(new string('s', 257))));
    }

    [Theory]
    [InlineData(null, "not a runner command: null")]
    [InlineData("hello", "not a runner command: String")]
    [InlineData(42, "not a runner command: Int32")]
    public void Should_reject_what_is_not_a_command(object? message, string reason)
    {
        Assert.Equal(reason, RunnerCommandValidator.Validate(message));
    }

    [Fact]
    public void Should_reject_replies_and_events_as_commands()
    {
        Assert.Equal("not a runner command: NothingToCancel", RunnerCommandValidator.Validate(new RunnerReplies.NothingToCancel("s1")));
        Assert.Equal("not a runner command: TokenDelta", RunnerCommandValidator.Validate(new TokenDelta("x") { SessionId = "s1" }));
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void Should_accept_only_well_formed_progress_events_from_executors(AgentEvent? evt, string? reason)
    {
        Assert.Equal(reason, RunnerCommandValidator.Event(evt));
    }
}
