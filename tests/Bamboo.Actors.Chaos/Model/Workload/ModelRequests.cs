using Akka.Actor;
using Bamboo.Actors.Chaos.Model.Nodes;
using Bamboo.Actors.Chaos.Model.Records;
using Bamboo.Actors.Client;
using Bamboo.Actors.Protocol;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.Chaos.Model.Workload;

/// <summary>Sends commands through a node and records them with their answers (or the lack of one).</summary>
public sealed class ModelRequests(NodeSet nodes, ModelHistory history, ModelProfile profile)
{
    public ModelHistory History { get; } = history;

    public TimeSpan Now => History.Clock.Now;

    /// <summary>
    /// Sends <paramref name="command"/> through <paramref name="node"/> from a requester actor there and records the
    /// answer with the node whose runner answered, or the timeout (a reply that arrives later is recorded as a notice).
    /// Later answers to the same sender (a queued reservation's start) go to <paramref name="later"/>.
    /// </summary>
    public async Task<ModelEntry> AskAsync(ModelNode node, IRunnerCommand command, OpKind kind, string? runId, string purpose, string args,
        Action<object, IActorRef>? later = null, TimeSpan? lifetime = null)
    {
        var start = Now;
        var first = new TaskCompletionSource<(object Reply, IActorRef Sender)>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            node.System.ActorOf(Requester.Props(node.Runners, command, first, later,
                (message, sender) => Misdelivered(command.SessionId, node, $"a requester of {command.GetType().Name}", message, sender),
                lifetime ?? profile.AskTimeout * 3));
        }
        catch (Exception exception)
        {
            return Record(kind, command.SessionId, runId, purpose, node, args, start, Outcome.Failed, null, null, exception.Message);
        }
        try
        {
            var (message, sender) = await first.Task.WaitAsync(profile.AskTimeout);
            var reply = message as IRunnerReply;
            var named = reply switch
            {
                Reserved r => r.RunId,
                Queued q => q.RunId,
                RunnerSnapshot s when runId is null => s.RunId,
                _ => runId,
            };
            return Record(kind, command.SessionId, named, purpose, node, args, start, reply is Unavailable ? Outcome.Unavailable : Outcome.Replied,
                reply, nodes.LabelOf(sender.Path.Address, node), reply is null ? $"unexpected answer {message.GetType().Name}" : null);
        }
        catch (TimeoutException)
        {
            var entry = Record(kind, command.SessionId, runId, purpose, node, args, start, Outcome.TimedOut, null, null, null);
            _ = first.Task.ContinueWith(late =>
            {
                var (message, sender) = late.Result;
                if (message is not IRunnerReply reply) return;
                History.Record(id => new ModelEntry
                {
                    Id = id, Kind = OpKind.Notice, SessionId = command.SessionId, RunId = reply is Reserved r ? r.RunId : reply is Queued q ? q.RunId : runId,
                    // The command took effect at some instant after it was sent: the notice spans from then.
                    Purpose = "late answer", Via = Via(node), Host = nodes.LabelOf(sender.Path.Address, node), Start = start, End = Now,
                    Outcome = reply is Unavailable ? Outcome.Unavailable : Outcome.Replied, Reply = reply, About = entry.Id,
                });
            }, TaskScheduler.Default);
            return entry;
        }
    }

    public ModelEntry Record(OpKind kind, string sessionId, string? runId, string purpose, ModelNode node, string args, TimeSpan start,
        Outcome outcome, IRunnerReply? reply, string? host, string? error) =>
        History.Record(id => new ModelEntry
        {
            Id = id, Kind = kind, SessionId = sessionId, RunId = runId, Purpose = purpose, Via = Via(node), Host = host, Args = args,
            Start = start, End = Now, Outcome = outcome, Reply = reply, Error = error,
        });

    public ModelEntry Notice(string sessionId, string? runId, ModelNode node, string what, int? about, IRunnerReply? reply = null) =>
        History.Record(id => new ModelEntry
        {
            Id = id, Kind = OpKind.Notice, SessionId = sessionId, RunId = runId, Purpose = what, Via = Via(node), Start = Now, End = Now,
            Outcome = reply is null ? Outcome.Done : Outcome.Replied, Reply = reply, About = about,
        });

    /// <summary>
    /// An actor of the harness that belongs to session <paramref name="sessionId"/> received a message about another
    /// session: a reference recorded for someone else (a reserver, an executor, a subscriber) reached this actor.
    /// </summary>
    public void Misdelivered(string sessionId, ModelNode node, string who, object message, IActorRef? sender) =>
        History.Record(id => new ModelEntry
        {
            Id = id, Kind = OpKind.Notice, SessionId = sessionId, RunId = (message as RunnerReplies.Reserved)?.RunId,
            Purpose = $"{Misdelivery} {who} of '{sessionId}' received {Describe(message)}{(sender is null ? "" : $" from {sender.Path}")}", Via = Via(node),
            Host = sender is null ? null : nodes.LabelOf(sender.Path.Address, node), Start = Now, End = Now, Outcome = Outcome.Done, Reply = message as IRunnerReply,
        });

    /// <summary>How a notice of a misdelivered message begins.</summary>
    public const string Misdelivery = "misdelivered:";

    private static string Describe(object message) => message switch
    {
        IRunnerReply reply => $"{ModelEntry.Show(reply)} of '{(reply as IWithSessionId)?.SessionId}'",
        Events.AgentEvent evt => $"{ModelEntry.Show(evt)} of '{evt.SessionId}'",
        ExecutorSignals.CancelRun cancel => $"CancelRun({ModelEntry.Short(cancel.RunId)}, {cancel.Reason}) of '{cancel.SessionId}'",
        _ => message.GetType().Name,
    };

    public static string Via(ModelNode node) => $"{node.Label}.{node.Incarnation}";

    /// <summary>How the client's answer counts: its <c>Unavailable</c> for no answer in time is a timeout.</summary>
    public static Outcome OutcomeOf(IRunnerReply reply) => reply switch
    {
        Unavailable { Reason: RunnerClient.NoAnswer } => Outcome.TimedOut,
        Unavailable => Outcome.Unavailable,
        _ => Outcome.Replied,
    };

    public static Outcome Classify(Exception exception) => exception switch
    {
        TimeoutException or AskTimeoutException or TaskCanceledException => Outcome.TimedOut,
        _ => Outcome.Failed,
    };
}
