namespace Bamboo.Actors.Chaos.History;

/// <summary>One row of Akka.Persistence.Sql's <c>journal</c> table (the columns the writer check reads).</summary>
/// <param name="Ordering">Global insertion order.</param>
/// <param name="PersistenceId">The persistent actor (<c>bamboo-session-…</c> for a session).</param>
/// <param name="SequenceNumber">The event's number within its persistence id.</param>
/// <param name="WriterUuid">The incarnation of the persistent actor that wrote it (new on every start).</param>
/// <param name="Created">When it was written (UTC).</param>
public sealed record JournalRow(long Ordering, string PersistenceId, long SequenceNumber, string WriterUuid, DateTimeOffset Created);
