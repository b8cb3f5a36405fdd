using System.Data.Common;
using Akka.Pattern;
using Microsoft.Data.Sqlite;

namespace Bamboo.Actors.Runners;

/// <summary>
/// Recognises the two ways a session's journal shows that two incarnations wrote it: a write refused because its
/// sequence number is already taken (a duplicate key in SQL journals), and a replay in which the journal's replay filter
/// (mode <c>fail</c>) found an older writer's facts after a newer writer's.
/// </summary>
internal static class JournalConflicts
{
    private const int SqliteConstraint = 19; // SQLITE_CONSTRAINT (primary key / unique)
    private const string PostgresUniqueViolation = "23505";

    /// <summary>Whether <paramref name="exception"/>, or one it wraps, is a writer conflict.</summary>
    public static bool IsWriterConflict(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsWriterConflict):
                    return true;
                case SqliteException sqlite when sqlite.SqliteErrorCode == SqliteConstraint:
                case DbException db when db.SqlState == PostgresUniqueViolation:
                    return true;
                // Akka.Persistence's ReplayFilter, mode fail: "Invalid replayed event [...]. There was already a newer writer ...".
                case IllegalStateException illegal when illegal.Message.Contains("newer writer", StringComparison.Ordinal)
                                                       || illegal.Message.Contains("Invalid replayed event", StringComparison.Ordinal):
                    return true;
            }
        }
        return false;
    }
}
