using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>An in-memory journal whose writes can be made to fail, as a database outage would.</summary>
public sealed class OutageJournal : MemoryJournal
{
    public static volatile bool Down;

    /// <summary>While set, a failing write waits for it before it fails (a database that times out).</summary>
    public static volatile TaskCompletionSource? Stall;

    /// <summary>Completed when a failing write starts waiting for <see cref="Stall"/>.</summary>
    public static volatile TaskCompletionSource? Stalled;

    /// <summary>While set, a write is recorded and then fails all the same (the connection lost during the commit).</summary>
    public static volatile bool LoseCommitAnswer;

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        if (LoseCommitAnswer)
        {
            await base.WriteMessagesAsync(messages, cancellationToken);
            throw new InvalidOperationException("connection lost while committing");
        }
        if (!Down) return await base.WriteMessagesAsync(messages, cancellationToken);
        Stalled?.TrySetResult();
        if (Stall is { } stall) await stall.Task;
        throw new InvalidOperationException("database is down");
    }
}

[CollectionDefinition(nameof(JournalFailureSpecs), DisableParallelization = true)]
public sealed class JournalOutageCollection;

[Collection(nameof(JournalFailureSpecs))]
public sealed class JournalFailureSpecs : IAsyncLifetime
{
    private const string Hocon = """
        bamboo.runners.journal-plugin = "bamboo-test.outage-journal"
        bamboo-test.outage-journal {
          class = "Bamboo.Actors.Tests.Persistence.OutageJournal, Bamboo.Actors.Tests"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        """;

    private DurableSystem _system = null!;

    public Task InitializeAsync()
    {
        OutageJournal.Down = false;
        OutageJournal.LoseCommitAnswer = false;
        OutageJournal.Stall = null;
        _system = DurableSystem.Start(new BambooPersistenceOptions { Mode = BambooPersistenceMode.InMemory }, Hocon);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Should_answer_Unavailable_and_change_nothing_when_the_journal_fails()
    {
        var run = await _system.Ask<Reserved>(new Reserve("s1"));
        OutageJournal.Down = true;

        var finalize = await _system.Ask<IRunnerReply>(new Finalize("s1", run.RunId, RunOutcome.Completed));
        var reserve = await _system.Ask<IRunnerReply>(new Reserve("other"));

        Assert.Contains("database is down", Assert.IsType<Unavailable>(finalize).Reason);
        Assert.IsType<Unavailable>(reserve);
        // The failed finalize was not recorded: the recovered session still runs the same run.
        var status = await _system.StatusAsync("s1");
        Assert.Equal((RunStatus.Running, run.RunId), (status.Status, status.RunId));
        Assert.Equal(RunStatus.Pending, (await _system.StatusAsync("other")).Status);

        OutageJournal.Down = false;
        Assert.Equal(RunStatus.Completed, (await _system.Ask<Finalized>(new Finalize("s1", run.RunId, RunOutcome.Completed))).Status);
        Assert.IsType<Reserved>(await _system.Ask<IRunnerReply>(new Reserve("other")));
    }

    [Fact]
    public async Task Should_answer_every_command_that_waited_behind_a_failed_write()
    {
        var run = await _system.Ask<Reserved>(new Reserve("s2"));
        OutageJournal.Stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OutageJournal.Down = true;

        var finalize = _system.Ask<IRunnerReply>(new Finalize("s2", run.RunId, RunOutcome.Completed));
        var waiting = Enumerable.Range(0, 10).Select(_ => _system.StatusAsync("s2")).ToList();
        // The supervisor handles messages in order: once it answers for another session, it has handed the ten status
        // requests to the runner, where they wait behind the write.
        await _system.StatusAsync("elsewhere");
        OutageJournal.Stall.SetResult();

        Assert.IsType<Unavailable>(await finalize);
        Assert.All(await Task.WhenAll(waiting), status => Assert.Equal((RunStatus.Running, run.RunId), (status.Status, status.RunId)));
    }

    [Fact]
    public async Task Should_keep_the_deadline_of_a_run_after_a_failed_write_without_anyone_touching_the_session()
    {
        var executor = Inbox.Create(_system.System);
        var run = await _system.Ask<Reserved>(new Reserve("s3", Executor: executor.Receiver, Deadline: TimeSpan.FromSeconds(2)));
        OutageJournal.Down = true;
        Assert.IsType<Unavailable>(await _system.Ask<IRunnerReply>(new Cancel("s3", run.RunId, "too late")));
        OutageJournal.Down = false;

        // The runner that failed to write left memory; nobody sends the session anything, yet its deadline still ends the run.
        var signal = Assert.IsType<ExecutorSignals.CancelRun>(await executor.ReceiveAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(run.RunId, signal.RunId);
        Assert.Contains("deadline", signal.Reason);
    }

    [Fact]
    public async Task Should_tell_the_executor_of_a_cancellation_recorded_by_a_write_that_reported_failure()
    {
        var executor = Inbox.Create(_system.System);
        var run = await _system.Ask<Reserved>(new Reserve("s4", Executor: executor.Receiver, Deadline: TimeSpan.FromMinutes(5)));
        OutageJournal.LoseCommitAnswer = true;
        Assert.IsType<Unavailable>(await _system.Ask<IRunnerReply>(new Cancel("s4", run.RunId, "stop it")));
        OutageJournal.LoseCommitAnswer = false;

        // The runner that failed to write left memory; its next incarnation finds the cancellation recorded after all
        // and tells the executor, long before the deadline.
        var status = await _system.StatusAsync("s4");
        Assert.Equal((RunStatus.Running, run.RunId, true), (status.Status, status.RunId, status.CancelRequested));
        var signal = Assert.IsType<ExecutorSignals.CancelRun>(await executor.ReceiveAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((run.RunId, "stop it"), (signal.RunId, signal.Reason));
    }

    public async Task DisposeAsync()
    {
        OutageJournal.Down = false;
        OutageJournal.Stall?.TrySetResult();
        OutageJournal.Stall = null;
        OutageJournal.Stalled = null;
        await _system.DisposeAsync();
    }
}
