using System.Reflection;
using Akka.Actor;
using Bamboo.Actors.Chaos.History;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Client;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.ExecutorSignals;
using static Bamboo.Actors.Protocol.RunnerCommands;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Workload;

/// <summary>
/// The random operations of a model run: concurrent clients, each with its own seeded random source, pick a session
/// and an operation that makes sense for what the model knows of it (reserve with each policy and each kind of
/// executor; publish, finalize and cancel the current run, a stale one, a repeated one, a queued one; subscribe with and
/// without a cursor; read status and run records; kill executors and subscribers), through a random live node, and
/// record every operation with its answer. Executors behave as workers do: when told to stop, most finalize as
/// cancelled soon, some never do (their grace ends them); external workers heartbeat until they vanish.
/// </summary>
public sealed class ModelWorkload
{
    private static readonly PropertyInfo LeaseExecutor =
        typeof(RunLease).GetProperty("Executor", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("RunLease has no executor property");

    private readonly NodeSet _nodes;
    private readonly ModelHistory _history;
    private readonly ModelRequests _requests;
    private readonly IReadOnlyList<string> _ids;
    private readonly Dictionary<string, SessionModel> _sessions;
    private readonly ModelProfile _profile;
    private readonly int _seed;
    private readonly Random _shared;
    private readonly List<Task> _background = [];
    private volatile bool _quiet;
    private readonly TimeSpan _maxDeadline;

    public ModelWorkload(NodeSet nodes, ModelRequests requests, IReadOnlyList<string> sessionIds, ModelProfile profile, int seed,
        TimeSpan maxDeadline)
    {
        _maxDeadline = maxDeadline;
        _nodes = nodes;
        _requests = requests;
        _history = requests.History;
        _ids = sessionIds;
        _sessions = sessionIds.ToDictionary(id => id, id => new SessionModel(id), StringComparer.Ordinal);
        _profile = profile;
        _seed = seed;
        _shared = new Random(unchecked(seed * 31 + 5));
    }

    private RunClock Clock => _history.Clock;

    private TimeSpan Now => Clock.Now;

    public IReadOnlyCollection<SessionModel> Sessions => _sessions.Values;

    /// <summary>Every reservation the workload made that was granted or queued.</summary>
    public IReadOnlyList<RunHandle> Runs => _sessions.Values.SelectMany(session => session.Snapshot()).ToArray();

    /// <summary>Runs <paramref name="clients"/> client loops until <paramref name="stop"/>.</summary>
    public Task RunAsync(int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(index => Task.Run(() => ClientLoopAsync(index, stop), CancellationToken.None)));

    /// <summary>
    /// The load stops: executors still finalize when told to stop, but external workers go quiet (their heartbeat
    /// timeouts or deadlines end their runs) and nothing else is sent.
    /// </summary>
    public void Quiet() => _quiet = true;

    /// <summary>Waits for the reactions still under way (finalizes of signalled executors, heartbeat loops).</summary>
    public async Task SettleAsync(TimeSpan bound)
    {
        Task[] pending;
        lock (_background) pending = [.. _background];
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(bound));
    }

    /// <summary>A node crashed or left: the executors living on it die with it, its subscribers are gone.</summary>
    public void NodeDown(ModelNode node, string cause, TimeSpan? since = null)
    {
        // Executors may have died at any time from the fault's start (a leaving node stops its actors while it shuts
        // down): the earliest is what a check may rely on.
        var at = since ?? Now;
        // First, so that a run registered from now on (its reservation answered as the node went down) sees it.
        node.MarkDown(at, cause);
        foreach (var session in _sessions.Values)
        {
            RunHandle[] runs;
            SubscriberHandle[] subscribers;
            lock (session.Gate)
            {
                runs = [.. session.Runs];
                subscribers = [.. session.Subscribers];
            }
            var orphaned = false;
            foreach (var run in runs.Where(run => run.Kind != ExecutorKind.External && ReferenceEquals(run.Node, node)))
            {
                if (run.MarkDead(at, cause) && run.RunId is not null && !run.Over)
                {
                    Notice(session.Id, run.RunId, node, $"executor died: {cause}", run.ReservedBy);
                    orphaned |= run.ActiveAt is not null;
                }
            }
            foreach (var run in runs.Where(run => run is { Kind: ExecutorKind.External, Queued: true } && ReferenceEquals(run.Node, node)))
                run.ReserverLost = true;
            // Its runs were orphaned: they must end without anybody touching the session.
            if (orphaned && cause != "node left") LeaveAlone(session, $"its executors' node went down ({cause})");
            foreach (var subscriber in subscribers.Where(subscriber => ReferenceEquals(subscriber.Node, node)))
            {
                subscriber.Log.Close(at, cause);
                subscriber.Reading?.Cancel();
            }
        }
    }

    /// <summary>How long a session is left alone after a failed write or the loss of its executors' node.</summary>
    public static readonly TimeSpan HandsOff = TimeSpan.FromSeconds(18);

    /// <summary>
    /// A write of the session failed (its runner left, with its timers and its watch of the executor): half the time the
    /// session is left alone for a while, so a deadline or an executor's death must be enforced without a command.
    /// </summary>
    public void WriteFailed(string sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var session)) return;
        bool handsOff;
        lock (_shared) handsOff = _shared.NextDouble() < 0.5;
        if (!handsOff) return;
        LeaveAlone(session, "a write of the session failed");
    }

    private void LeaveAlone(SessionModel session, string why)
    {
        var until = Now + HandsOff;
        lock (session.Gate)
        {
            if (session.HandsOffUntil >= until) return;
            session.HandsOffUntil = until;
        }
        _history.Record(id => new ModelEntry
        {
            Id = id, Kind = OpKind.Notice, SessionId = session.Id, Purpose = $"left alone until {RunClock.Format(until)}: {why}", Via = "harness",
            Start = Now, End = Now, Outcome = Outcome.Done,
        });
    }

    private async Task ClientLoopAsync(int index, CancellationToken stop)
    {
        var random = new Random(unchecked(_seed * 1_000_003 + index * 7919 + 1));
        while (!stop.IsCancellationRequested)
        {
            var node = Pick(random);
            if (node is null)
            {
                await Task.Delay(100, CancellationToken.None);
                continue;
            }
            var session = _sessions[_ids[random.Next(_ids.Count)]];
            if (session.HandsOffUntil > Now)
            {
                await Task.Delay(1, CancellationToken.None);
                continue;
            }
            try
            {
                await NextAsync(random, node, session);
            }
            catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException)
            {
                // The node went away under the operation (its system terminated): the next one picks another.
                Notice(session.Id, null, node, $"operation abandoned: {exception.GetType().Name}: {exception.Message}", null);
            }
        }
    }

    private ModelNode? Pick(Random random)
    {
        var usable = _nodes.Usable;
        return usable.Count == 0 ? null : usable[random.Next(usable.Count)];
    }

    /// <summary>Picks one operation that makes sense for what the model knows of <paramref name="session"/>, and runs it.</summary>
    private Task NextAsync(Random random, ModelNode node, SessionModel session)
    {
        var runs = session.Snapshot();
        var current = runs.LastOrDefault(run => run.Live);
        var over = runs.Where(run => run is { RunId: not null, Over: true }).ToArray();
        var finalized = runs.Where(run => run.Finalized is not null).ToArray();
        var queued = runs.Where(run => run is { Queued: true, Over: false }).ToArray();
        SubscriberHandle[] subscribers;
        lock (session.Gate) subscribers = session.Subscribers.Where(subscriber => subscriber.Log.Open).ToArray();

        var options = new List<(int Weight, Func<Task> Run)>
        {
            (12, () => ReserveAsync(random, node, session)),
            (4, () => CancelAsync(random, node, session, null, "session")),
            (8, () => GetStatusAsync(random, node, session.Id, "read")),
        };
        if (current is not null)
        {
            options.Add((20, () => PublishAsync(random, node, current, "current")));
            options.Add((9, () => FinalizeAsync(random, node, current, RandomOutcome(random), "current")));
            options.Add((3, () => CancelAsync(random, node, session, current.RunId, "current")));
            options.Add((2, () => KillExecutorAsync(current)));
            if (current.Kind == ExecutorKind.Lease) options.Add((1, () => DisposeLeaseAsync(current)));
            options.Add((3, () => GetRunAsync(node, session.Id, current.RunId!, "current")));
        }
        if (over.Length > 0)
        {
            var old = over[random.Next(over.Length)];
            options.Add((3, () => RawFinalizeAsync(node, old, RandomOutcome(random), "stale")));
            options.Add((2, () => CancelAsync(random, node, session, old.RunId, "stale")));
            options.Add((2, () => RawPublishAsync(random, node, old, "stale")));
            options.Add((2, () => GetRunAsync(node, session.Id, old.RunId!, "stale")));
        }
        if (finalized.Length > 0)
        {
            var done = finalized[random.Next(finalized.Length)];
            options.Add((2, () => RawFinalizeAsync(node, done, RandomOutcome(random), "repeat")));
        }
        if (queued.Length > 0)
            options.Add((2, () => CancelAsync(random, node, session, queued[random.Next(queued.Length)].RunId, "queued")));
        if (subscribers.Length < 2) options.Add((3, () => SubscribeAsync(random, node, session)));
        if (subscribers.Length > 0)
        {
            var subscriber = subscribers[random.Next(subscribers.Length)];
            options.Add((2, () => UnsubscribeAsync(subscriber)));
            if (subscriber.Actor is not null) options.Add((1, () => KillSubscriberAsync(subscriber)));
        }

        var roll = random.Next(options.Sum(option => option.Weight));
        foreach (var (weight, run) in options)
        {
            if (roll < weight) return run();
            roll -= weight;
        }
        throw new InvalidOperationException("no operation picked");
    }

    // ---- Reservations ----

    private async Task ReserveAsync(Random random, ModelNode node, SessionModel session)
    {
        var policy = random.NextDouble() switch
        {
            < 0.4 => ConflictPolicy.Reject,
            < 0.7 => ConflictPolicy.Interrupt,
            _ => ConflictPolicy.Enqueue,
        };
        var deadline = TimeSpan.FromMilliseconds(random.Next(2_000, (int)_maxDeadline.TotalMilliseconds));
        var kind = random.NextDouble() switch
        {
            < 0.45 => ExecutorKind.Lease,
            < 0.75 => ExecutorKind.Actor,
            _ => ExecutorKind.External,
        };
        var heartbeat = kind == ExecutorKind.External && random.NextDouble() < 0.7
            ? TimeSpan.FromMilliseconds(random.Next(1_500, 4_000))
            : (TimeSpan?)null;
        var args = $"{policy.ToString().ToLowerInvariant()}, {kind.ToString().ToLowerInvariant()}, deadline {deadline.TotalSeconds:0.0}s" +
                   (heartbeat is { } h ? $", heartbeat {h.TotalSeconds:0.0}s" : "");
        if (kind == ExecutorKind.Lease) await ReserveLeaseAsync(node, session, policy, deadline, args);
        else await ReserveRawAsync(random, node, session, kind, policy, deadline, heartbeat, args);
    }

    private async Task ReserveLeaseAsync(ModelNode node, SessionModel session, ConflictPolicy policy, TimeSpan deadline, string args)
    {
        var start = Now;
        RunLease lease;
        try
        {
            lease = await node.Client.ReserveAsync(session.Id, new ReserveOptions { OnConflict = policy, Deadline = deadline });
        }
        catch (Exception exception)
        {
            Record(OpKind.Reserve, session.Id, null, "lease", node, args, start, Classify(exception), null, null, exception.Message);
            return;
        }
        if (lease.Status == LeaseStatus.Unavailable)
        {
            var unavailable = new Unavailable(session.Id, lease.Reason ?? "");
            Record(OpKind.Reserve, session.Id, lease.RunId, "lease", node, args, start, OutcomeOf(unavailable), unavailable, null, lease.Reason);
            return;
        }
        IRunnerReply reply = lease.Status switch
        {
            LeaseStatus.Active => new Reserved(session.Id, lease.RunId!, lease.StartedAt ?? default),
            LeaseStatus.Queued => new Queued(session.Id, lease.RunId!, lease.QueuePosition ?? 0),
            LeaseStatus.AlreadyRunning => new AlreadyRunning(session.Id, lease.RunId!),
            LeaseStatus.Rejected => new Rejected(session.Id, lease.Reason ?? "", lease.RunId),
            _ => new InvalidCommand(session.Id, lease.Reason ?? lease.Status.ToString()),
        };
        var entry = Record(OpKind.Reserve, session.Id, lease.RunId, "lease", node, args, start, Outcome.Replied, reply, null, null);
        if (lease.Status is not (LeaseStatus.Active or LeaseStatus.Queued)) return;

        var handle = new RunHandle
        {
            SessionId = session.Id, Kind = ExecutorKind.Lease, Node = node, Policy = policy, Deadline = deadline, ReservedBy = entry.Id,
            Lease = lease, RequestedAt = start,
        };
        AddRun(session, handle);
        if (lease.Status == LeaseStatus.Active)
        {
            handle.MarkActive(lease.RunId!, entry.End, lease.StartedAt);
            WatchToken(handle, node);
            return;
        }
        handle.MarkQueued(lease.RunId!);
        Background(async () =>
        {
            var started = await lease.WhenStarted;
            if (started == LeaseStatus.Active)
            {
                handle.MarkActive(lease.RunId!, Now, lease.StartedAt);
                QueuedNotice(session.Id, lease.RunId, node, "queued run started", handle, new Reserved(session.Id, lease.RunId!, lease.StartedAt ?? default));
                WatchToken(handle, node);
            }
            else
            {
                // A refused lease's executor actor stops: should the session start the run after all (a lease that gave up
                // on a session silent through an outage), it finds its executor gone.
                handle.MarkDead(Now, "lease refused");
                handle.MarkOver();
                QueuedNotice(session.Id, lease.RunId, node, $"queued run withdrawn: {lease.Reason}", handle,
                    new Rejected(session.Id, lease.Reason ?? started.ToString(), lease.RunId));
            }
        });
    }

    private void WatchToken(RunHandle handle, ModelNode node)
    {
        var lease = handle.Lease!;
        lease.CancellationToken.Register(() => Signalled(handle, node, lease.CancellationReason ?? "token fired"));
    }

    private async Task ReserveRawAsync(Random random, ModelNode node, SessionModel session, ExecutorKind kind, ConflictPolicy policy,
        TimeSpan deadline, TimeSpan? heartbeat, string args)
    {
        // The handle exists before the reservation is sent: the executor's signals, and a queued run's start, may come
        // before the reservation's own answer is read.
        var handle = new RunHandle
        {
            SessionId = session.Id, Kind = kind, Node = node, Policy = policy, Deadline = deadline, HeartbeatTimeout = heartbeat, ReservedBy = 0,
            RequestedAt = Now,
        };
        if (kind == ExecutorKind.Actor)
        {
            try
            {
                handle.Worker = node.System.ActorOf(WorkerActor.Props(cancel =>
                {
                    if (cancel.SessionId != handle.SessionId || (handle.RunId is { } runId && cancel.RunId != runId && !handle.Queued))
                        _requests.Misdelivered(handle.SessionId, node, $"the worker of run {ModelEntry.Short(handle.RunId)}", cancel, null);
                    else Signalled(handle, node, cancel.Reason);
                }));
            }
            catch (Exception exception)
            {
                Record(OpKind.Reserve, session.Id, null, "actor", node, args, Now, Outcome.Failed, null, null, exception.Message);
                return;
            }
        }
        var entry = await AskAsync(node, new Reserve(session.Id, policy, handle.Worker, deadline, HeartbeatTimeout: heartbeat), OpKind.Reserve, null,
            kind == ExecutorKind.Actor ? "actor" : "external", args,
            later: (message, _) => QueuedAnswer(session, handle, node, message),
            lifetime: deadline + TimeSpan.FromSeconds(90));
        handle.ReservedBy = entry.Id;
        switch (entry.Reply)
        {
            case Reserved reserved:
                handle.MarkActive(reserved.RunId, entry.End, reserved.StartedAt);
                break;
            case Queued queued:
                handle.MarkQueued(queued.RunId);
                break;
            default:
                // Refused, unavailable, or no answer: the worker has nothing to do (a reservation granted after the timeout
                // sees its executor gone and ends).
                if (handle.Worker is { } worker) node.System.Stop(worker);
                return;
        }
        AddRun(session, handle);
        if (kind == ExecutorKind.External) Background(() => ExternalWorkerAsync(random.Next(), handle));
    }

    /// <summary>
    /// Registers a reserved run. Its executor lives on the node it was reserved through: if that node went down before
    /// the reservation's answer was read, <see cref="NodeDown"/> did not see the run, and the executor died with the node.
    /// </summary>
    private static void AddRun(SessionModel session, RunHandle handle)
    {
        lock (session.Gate) session.Runs.Add(handle);
        if (handle.Kind != ExecutorKind.External && handle.Node.Down is { } down) handle.MarkDead(down.At, down.Cause);
    }

    /// <summary>A later answer to a raw reservation: a queued run started, or was withdrawn.</summary>
    private void QueuedAnswer(SessionModel session, RunHandle handle, ModelNode node, object message)
    {
        switch (message)
        {
            case Reserved reserved:
                handle.MarkActive(reserved.RunId, Now, reserved.StartedAt);
                QueuedNotice(session.Id, reserved.RunId, node, "queued run started", handle, reserved);
                break;
            case Rejected rejected:
                handle.MarkOver();
                if (handle.Worker is { } worker && node.Usable) node.System.Stop(worker);
                QueuedNotice(session.Id, rejected.RunId, node, $"queued run withdrawn: {rejected.Reason}", handle, rejected);
                break;
            case IRunnerReply reply:
                Notice(session.Id, null, node, $"late answer {ModelEntry.Show(reply)}", handle.ReservedBy, reply);
                break;
        }
    }

    /// <summary>A queued run's start or withdrawal: it happened after the reservation was sent (the notice's start).</summary>
    private void QueuedNotice(string sessionId, string? runId, ModelNode node, string what, RunHandle handle, IRunnerReply reply) =>
        _history.Record(id => new ModelEntry
        {
            Id = id, Kind = OpKind.Notice, SessionId = sessionId, RunId = runId, Purpose = what, Via = Via(node), Start = handle.RequestedAt, End = Now,
            Outcome = Outcome.Replied, Reply = reply, About = handle.ReservedBy == 0 ? null : handle.ReservedBy,
        });

    /// <summary>An external worker: heartbeats (when its reservation has a heartbeat timeout) until it vanishes, is told to
    /// stop, or its run is over.</summary>
    private async Task ExternalWorkerAsync(int seed, RunHandle handle)
    {
        var random = new Random(seed);
        var vanishAfter = random.NextDouble() < 0.35 ? TimeSpan.FromMilliseconds(random.Next(500, (int)handle.Deadline.TotalMilliseconds)) : (TimeSpan?)null;
        var began = Now;
        if (handle.HeartbeatTimeout is not { } timeout)
        {
            if (vanishAfter is { } quiet)
            {
                await Task.Delay(quiet);
                Vanish(handle, "went quiet");
            }
            return;
        }
        var every = TimeSpan.FromMilliseconds(Math.Max(300, timeout.TotalMilliseconds / 3));
        while (handle.Alive && !handle.Over)
        {
            await Task.Delay(every);
            if (_quiet || (vanishAfter is { } after && Now - began > after))
            {
                Vanish(handle, _quiet ? "the load stopped" : "went quiet");
                return;
            }
            if (handle.RunId is null || handle.Queued) continue;
            var node = Pick(random);
            if (node is null) continue;
            var entry = await AskAsync(node, new Heartbeat(handle.SessionId, handle.RunId), OpKind.Heartbeat, handle.RunId, "worker", "");
            switch (entry.Reply)
            {
                case Published published:
                    handle.Heard(entry.End);
                    if (published.CancelRequested) Signalled(handle, node, "heartbeat: cancel requested");
                    break;
                case StaleRun:
                    handle.MarkOver();
                    break;
            }
        }
    }

    private void Vanish(RunHandle handle, string why)
    {
        if (!handle.MarkDead(Now, "vanished")) return;
        Record(OpKind.Vanish, handle.SessionId, handle.RunId, "worker", handle.Node, why, Now, Outcome.Done, null, null, $"worker {why}");
    }

    // ---- Executors' reactions ----

    /// <summary>An executor was told to stop: most finalize as cancelled soon (cooperative cancellation), some never do.</summary>
    private void Signalled(RunHandle handle, ModelNode node, string reason)
    {
        if (!handle.MarkSignalled(Now, reason)) return;
        Notice(handle.SessionId, handle.RunId, node, $"executor signalled: {reason}", handle.ReservedBy);
        if (!handle.Alive || handle.Over || reason.Contains("executor stopped", StringComparison.Ordinal)) return;
        double roll;
        int delay;
        lock (_shared)
        {
            roll = _shared.NextDouble();
            delay = _shared.Next(0, 600);
        }
        if (roll >= 0.7) return;
        Background(async () =>
        {
            await Task.Delay(delay);
            if (!handle.Alive || handle.Over) return;
            var via = Pick(new Random(delay)) ?? node;
            if (handle.Kind == ExecutorKind.Lease && via.Usable) await FinalizeAsync(new Random(delay), via, handle, RunOutcome.Cancelled, "signalled");
            else if (via.Usable) await RawFinalizeAsync(via, handle, RunOutcome.Cancelled, "signalled");
        });
    }

    // ---- Publish, finalize, cancel ----

    private async Task PublishAsync(Random random, ModelNode node, RunHandle run, string purpose)
    {
        if (run.Kind == ExecutorKind.Lease && random.NextDouble() < 0.7)
        {
            var evt = RandomEvent(random);
            var start = Now;
            bool sent;
            try
            {
                sent = await run.Lease!.PublishAsync(evt);
            }
            catch (Exception exception)
            {
                Record(OpKind.Publish, run.SessionId, run.RunId, purpose, run.Node, Describe(evt), start, Outcome.Failed, null, null, exception.Message);
                return;
            }
            Record(OpKind.Publish, run.SessionId, run.RunId, purpose, run.Node, Describe(evt) + ", through the lease", start,
                sent ? Outcome.Sent : Outcome.Done, null, null, sent ? null : "not sent: the lease no longer owns the run");
            return;
        }
        await RawPublishAsync(random, node, run, purpose);
    }

    private async Task RawPublishAsync(Random random, ModelNode node, RunHandle run, string purpose)
    {
        var evt = RandomEvent(random);
        var entry = await AskAsync(node, new Publish(run.SessionId, run.RunId!, evt, Acknowledge: true), OpKind.Publish, run.RunId, purpose,
            Describe(evt));
        switch (entry.Reply)
        {
            case Published published when purpose == "current":
                run.Heard(entry.End);
                if (published.CancelRequested && run.Kind == ExecutorKind.External) Signalled(run, node, "event: cancel requested");
                break;
            case StaleRun when purpose == "current":
                run.MarkOver();
                break;
        }
    }

    private async Task FinalizeAsync(Random random, ModelNode node, RunHandle run, RunOutcome outcome, string purpose)
    {
        if (run.Kind != ExecutorKind.Lease || random.NextDouble() < 0.15)
        {
            await RawFinalizeAsync(node, run, outcome, purpose);
            return;
        }
        var start = Now;
        var lease = run.Lease!;
        if (run.LeaseFinalizing)
        {
            // A lease sends one finalize; every later call returns the first one's result, whatever it was.
            var first = lease.Result.IsCompletedSuccessfully ? $"{lease.Result.Result.Status?.ToWire() ?? "fenced"}"
                : lease.Result.IsFaulted ? $"{lease.Result.Exception?.InnerException?.GetType().Name}: {lease.Result.Exception?.InnerException?.Message}"
                : "still under way";
            Record(OpKind.Finalize, run.SessionId, run.RunId, purpose, run.Node, Describe(outcome) + ", through the lease", start, Outcome.Done, null, null,
                $"not sent: the lease already finalized once (its result: {first})");
            return;
        }
        run.LeaseFinalizing = true;
        RunResult result;
        try
        {
            result = await lease.FinalizeAsync(outcome);
        }
        catch (Exception exception)
        {
            run.FinalizeUncertain = true;
            Record(OpKind.Finalize, run.SessionId, run.RunId, purpose, run.Node, Describe(outcome) + ", through the lease", start, Classify(exception),
                null, null, exception.Message);
            return;
        }
        if (result.Reservation == LeaseStatus.Unavailable)
        {
            // The lease retried until its answer timeout: an earlier attempt may still have been recorded. Its executor
            // actor has stopped, so the session ends the run as lost if it is still active there.
            run.FinalizeUncertain = true;
            run.MarkDead(Now, "finalize unanswered");
            var unavailable = new Unavailable(run.SessionId, result.Error ?? "");
            Record(OpKind.Finalize, run.SessionId, run.RunId, purpose, run.Node, Describe(outcome) + ", through the lease", start, OutcomeOf(unavailable),
                unavailable, null, result.Error);
            return;
        }

        IRunnerReply reply = result switch
        {
            { Fenced: false, Status: { } status } => new Finalized(run.SessionId, run.RunId!, status, result.Error),
            { Fenced: true, Status: { } status } => new AlreadyFinalized(run.SessionId, run.RunId!, status),
            _ => new StaleRun(run.SessionId, run.RunId!, null),
        };
        Record(OpKind.Finalize, run.SessionId, run.RunId, purpose, run.Node, Describe(outcome) + ", through the lease", start, Outcome.Replied, reply,
            null, null);
        run.MarkOver(reply is Finalized f ? f.Status : null);
    }

    private async Task RawFinalizeAsync(ModelNode node, RunHandle run, RunOutcome outcome, string purpose)
    {
        if (run.RunId is null) return;
        var entry = await AskAsync(node, new Finalize(run.SessionId, run.RunId, outcome), OpKind.Finalize, run.RunId, purpose, Describe(outcome));
        if (purpose is not ("current" or "signalled")) return;
        if (entry.Outcome is Outcome.TimedOut or Outcome.Failed) run.FinalizeUncertain = true;
        switch (entry.Reply)
        {
            case Finalized finalized:
                run.MarkOver(finalized.Status);
                StopWorker(run);
                break;
            case StaleRun or AlreadyFinalized:
                run.MarkOver();
                StopWorker(run);
                break;
        }
    }

    /// <summary>A worker whose run is over exits (its executor actor stops; the session no longer watches it).</summary>
    private static void StopWorker(RunHandle run)
    {
        if (run.Worker is { } worker && run.Node.Usable) run.Node.System.Stop(worker);
    }

    private async Task CancelAsync(Random random, ModelNode node, SessionModel session, string? runId, string purpose)
    {
        var args = runId is null ? "" : "run";
        if (random.NextDouble() < 0.5)
        {
            await AskAsync(node, new Cancel(session.Id, runId, "chaos"), OpKind.Cancel, runId, purpose, args);
            return;
        }
        var start = Now;
        try
        {
            var reply = await node.Client.CancelAsync(session.Id, runId, "chaos");
            Record(OpKind.Cancel, session.Id, runId, purpose, node, args + " (client)", start, OutcomeOf(reply), reply, null, null);
        }
        catch (Exception exception)
        {
            Record(OpKind.Cancel, session.Id, runId, purpose, node, args + " (client)", start, Classify(exception), null, null, exception.Message);
        }
    }

    // ---- Reads ----

    private async Task GetStatusAsync(Random random, ModelNode node, string sessionId, string purpose)
    {
        if (random.NextDouble() < 0.7)
        {
            await AskAsync(node, new GetStatus(sessionId), OpKind.GetStatus, null, purpose, "");
            return;
        }
        var start = Now;
        try
        {
            var reply = await node.Client.GetStatusAsync(sessionId);
            Record(OpKind.GetStatus, sessionId, (reply as RunnerSnapshot)?.RunId, purpose, node, "(client)", start, OutcomeOf(reply), reply, null, null);
        }
        catch (Exception exception)
        {
            Record(OpKind.GetStatus, sessionId, null, purpose, node, "(client)", start, Classify(exception), null, null, exception.Message);
        }
    }

    private Task GetRunAsync(ModelNode node, string sessionId, string runId, string purpose) =>
        AskAsync(node, new GetRun(sessionId, runId), OpKind.GetRun, runId, purpose, "");

    // ---- Deaths ----

    private Task KillExecutorAsync(RunHandle run)
    {
        var start = Now;
        switch (run.Kind)
        {
            case ExecutorKind.Lease:
                if (!run.Node.Usable || !run.MarkDead(start, "killed")) return Task.CompletedTask;
                // The lease's executor actor stands for the worker process: stopping it is the process dying.
                run.Node.System.Stop((IActorRef)LeaseExecutor.GetValue(run.Lease)!);
                break;
            case ExecutorKind.Actor:
                if (!run.Node.Usable || !run.MarkDead(start, "killed")) return Task.CompletedTask;
                run.Node.System.Stop(run.Worker!);
                break;
            default:
                Vanish(run, "was killed");
                return Task.CompletedTask;
        }
        Record(OpKind.KillExecutor, run.SessionId, run.RunId, run.Kind.ToString().ToLowerInvariant(), run.Node, "", start, Outcome.Done, null, null,
            "executor actor stopped");
        return Task.CompletedTask;
    }

    private async Task DisposeLeaseAsync(RunHandle run)
    {
        var start = Now;
        var lease = run.Lease!;
        var finalizedBefore = run.LeaseFinalizing;
        run.LeaseFinalizing = true;
        try
        {
            await lease.DisposeAsync();
        }
        catch (Exception exception)
        {
            // A lease whose finalize failed before rethrows that failure: nothing was sent now.
            Record(OpKind.DisposeLease, run.SessionId, run.RunId, "lease", run.Node, "", start, finalizedBefore ? Outcome.Done : Classify(exception), null, null,
                finalizedBefore ? $"its earlier finalize failed: {exception.Message}" : exception.Message);
            run.MarkDead(Now, "disposed");
            return;
        }
        // Disposing finalizes what the lease still held, then stops its executor actor.
        run.MarkDead(Now, "disposed");
        IRunnerReply? reply = lease.Result.IsCompletedSuccessfully && !finalizedBefore
            ? lease.Result.Result switch
            {
                { Fenced: false, Status: { } status } result => new Finalized(run.SessionId, run.RunId!, status, result.Error),
                { Fenced: true, Status: { } status } => new AlreadyFinalized(run.SessionId, run.RunId!, status),
                _ => new StaleRun(run.SessionId, run.RunId!, null),
            }
            : null;
        Record(OpKind.DisposeLease, run.SessionId, run.RunId, "lease", run.Node, "", start, reply is null ? Outcome.Done : Outcome.Replied, reply, null,
            lease.Result.IsFaulted ? $"finalize failed: {lease.Result.Exception?.InnerException?.Message}" : null);
        run.MarkOver(reply is Finalized f ? f.Status : null);
    }

    // ---- Subscribers ----

    private async Task SubscribeAsync(Random random, ModelNode node, SessionModel session)
    {
        var known = KnownSequence(session.Id);
        long? cursor = random.NextDouble() switch
        {
            < 0.35 => null,
            < 0.5 => 0,
            _ => Math.Max(0, known - random.Next(0, 40)),
        };
        if (random.NextDouble() < 0.6) await SubscribeLibraryAsync(node, session, cursor);
        else await SubscribeRawAsync(node, session, cursor);
    }

    private async Task SubscribeLibraryAsync(ModelNode node, SessionModel session, long? cursor)
    {
        var start = Now;
        var args = cursor is { } c ? $"after {c}" : "no cursor";
        IEventSubscription subscription;
        try
        {
            subscription = await node.Client.OpenSubscriptionAsync(session.Id, cursor);
        }
        catch (Exception exception)
        {
            Record(OpKind.Subscribe, session.Id, null, "library", node, args, start, Classify(exception), null, null, exception.Message);
            return;
        }
        var entry = Record(OpKind.Subscribe, session.Id, null, "library", node, args, start, Outcome.Replied,
            new Subscribed(session.Id, subscription.LastSequence), null, null);
        var log = _history.AddSubscriber(id => new SubscriberLog(id, session.Id, Via(node), SubscriberKind.Library, cursor, entry.End)
        {
            LiveFrom = subscription.LastSequence,
        });
        var reading = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var evt in subscription.ReadAllAsync(reading.Token)) log.Add(Now, evt);
                log.Close(Now, "unsubscribed");
            }
            catch (OperationCanceledException)
            {
                log.Close(Now, "unsubscribed");
            }
            catch (Exception exception)
            {
                log.Close(Now, $"failed: {exception.GetType().Name}: {exception.Message}");
            }
        }, CancellationToken.None);
        lock (session.Gate)
        {
            session.Subscribers.Add(new SubscriberHandle
            {
                Log = log, Node = node, Subscription = subscription, Reading = reading, Reader = reader,
            });
        }
    }

    private async Task SubscribeRawAsync(ModelNode node, SessionModel session, long? cursor)
    {
        var args = cursor is { } c ? $"after {c}, raw" : "no cursor, raw";
        SubscriberLog? log = null;
        var buffered = new List<(TimeSpan, AgentEvent)>();
        var gate = new object();
        IActorRef actor;
        try
        {
            actor = node.System.ActorOf(SubscriberActor.Props(evt =>
            {
                if (evt.SessionId != session.Id && evt is not ReplayGap)
                {
                    _requests.Misdelivered(session.Id, node, "a raw subscriber", evt, null);
                    return;
                }
                lock (gate)
                {
                    if (log is null) buffered.Add((Now, evt));
                    else log.Add(Now, evt);
                }
            }));
        }
        catch (Exception exception)
        {
            Record(OpKind.Subscribe, session.Id, null, "raw", node, args, Now, Outcome.Failed, null, null, exception.Message);
            return;
        }
        var entry = await AskAsync(node, new Subscribe(session.Id, actor, cursor), OpKind.Subscribe, null, "raw", args);
        if (entry.Reply is not Subscribed subscribed)
        {
            // Not subscribed as far as we know (a subscription that happened after the timeout watches a stopped actor).
            node.System.Stop(actor);
            return;
        }
        lock (gate)
        {
            log = _history.AddSubscriber(id => new SubscriberLog(id, session.Id, Via(node), SubscriberKind.Raw, cursor, entry.End)
            {
                LiveFrom = subscribed.LastSequence,
            });
            foreach (var (at, evt) in buffered) log.Add(at, evt);
        }
        lock (session.Gate) session.Subscribers.Add(new SubscriberHandle { Log = log, Node = node, Actor = actor });
    }

    private async Task UnsubscribeAsync(SubscriberHandle subscriber)
    {
        var start = Now;
        var log = subscriber.Log;
        if (subscriber.Subscription is { } subscription)
        {
            await subscription.DisposeAsync();
            subscriber.Reading?.Cancel();
            if (subscriber.Reader is { } reader) await reader;
            log.Close(Now, "unsubscribed");
            Record(OpKind.Unsubscribe, log.SessionId, null, $"subscriber #{log.Id}", subscriber.Node, "library", start, Outcome.Done, null, null,
                "disposed");
            return;
        }
        if (!subscriber.Node.Usable) return;
        var entry = await AskAsync(subscriber.Node, new Unsubscribe(log.SessionId, subscriber.Actor!), OpKind.Unsubscribe, null,
            $"subscriber #{log.Id}", "raw");
        log.Close(entry.End, "unsubscribed");
        subscriber.Node.System.Stop(subscriber.Actor!);
    }

    private Task KillSubscriberAsync(SubscriberHandle subscriber)
    {
        if (!subscriber.Node.Usable || !subscriber.Log.Open) return Task.CompletedTask;
        var start = Now;
        subscriber.Node.System.Stop(subscriber.Actor!);
        subscriber.Log.Close(start, "killed");
        Record(OpKind.KillSubscriber, subscriber.Log.SessionId, null, $"subscriber #{subscriber.Log.Id}", subscriber.Node, "raw", start, Outcome.Done,
            null, null, "subscriber actor stopped");
        return Task.CompletedTask;
    }

    /// <summary>Closes every subscriber still open (library ones dispose, raw ones unsubscribe).</summary>
    public async Task CloseSubscribersAsync()
    {
        foreach (var session in _sessions.Values)
        {
            SubscriberHandle[] open;
            lock (session.Gate) open = session.Subscribers.Where(subscriber => subscriber.Log.Open).ToArray();
            foreach (var subscriber in open) await UnsubscribeAsync(subscriber);
        }
    }

    /// <summary>The highest sequence any subscriber or acknowledged publish has seen for the session.</summary>
    private long KnownSequence(string sessionId)
    {
        SubscriberHandle[] subscribers;
        var session = _sessions[sessionId];
        lock (session.Gate) subscribers = [.. session.Subscribers];
        return subscribers.SelectMany(subscriber => subscriber.Log.Events).Select(received => received.Event.Sequence).DefaultIfEmpty(0).Max();
    }

    // ---- Asking and recording ----

    private Task<ModelEntry> AskAsync(ModelNode node, IRunnerCommand command, OpKind kind, string? runId, string purpose, string args,
        Action<object, IActorRef>? later = null, TimeSpan? lifetime = null) =>
        _requests.AskAsync(node, command, kind, runId, purpose, args, later, lifetime);

    private ModelEntry Record(OpKind kind, string sessionId, string? runId, string purpose, ModelNode node, string args, TimeSpan start,
        Outcome outcome, IRunnerReply? reply, string? host, string? error) =>
        _requests.Record(kind, sessionId, runId, purpose, node, args, start, outcome, reply, host, error);

    private ModelEntry Notice(string sessionId, string? runId, ModelNode node, string what, int? about, IRunnerReply? reply = null) =>
        _requests.Notice(sessionId, runId, node, what, about, reply);

    private static string Via(ModelNode node) => ModelRequests.Via(node);

    private static Outcome Classify(Exception exception) => ModelRequests.Classify(exception);

    private static Outcome OutcomeOf(IRunnerReply reply) => ModelRequests.OutcomeOf(reply);

    private void Background(Func<Task> work)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await work();
            }
            catch (Exception)
            {
                // A reaction that meets a node going away is simply lost, as a worker's would be.
            }
        });
        lock (_background)
        {
            _background.RemoveAll(done => done.IsCompleted);
            _background.Add(task);
        }
    }

    private static RunOutcome RandomOutcome(Random random) => random.NextDouble() switch
    {
        < 0.6 => RunOutcome.Completed,
        < 0.8 => RunOutcome.Failed("worker failed"),
        _ => RunOutcome.Cancelled,
    };

    private static AgentEvent RandomEvent(Random random) => random.Next(10) switch
    {
        < 5 => new TokenDelta("tok"),
        5 => new RunnerProgress(random.Next(1, 50)),
        6 => new TokenBudget(random.Next(0, 1000), 1000),
        7 or 8 => new ToolStarted("search"),
        _ => new ToolLifecycle("search", ToolPhase.Finished),
    };

    private static string Describe(AgentEvent evt) => evt.WireName();

    private static string Describe(RunOutcome outcome) =>
        outcome.Status.ToWire() + (outcome.Error is null ? "" : $" ({outcome.Error})");
}
