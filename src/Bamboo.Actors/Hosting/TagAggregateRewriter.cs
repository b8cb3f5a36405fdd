using System.Data.Common;
using System.Text.RegularExpressions;
using LinqToDB.Interceptors;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Rewrites the journal plugin's read of a row's tags into a lookup by the row's ordering, on SQLite and PostgreSQL.
/// </summary>
/// <remarks>
/// <para>Akka.Persistence.Sql's read journal (tag table mode) reads the tags of every journal row it returns — in the
/// read model's events-by-tag query, and in events-by-persistence-id — with a string aggregate over the tag table
/// filtered by the row's ordering (a session's own recovery reads no tags). linq2db 6.5 renders the filter inside the
/// aggregate and leaves the subquery without a <c>WHERE</c>:
/// <c>(SELECT GROUP_CONCAT(CASE WHEN t1.ordering_id = x.Ordering THEN t1.tag ELSE NULL END, ';') FROM tags t1)</c> on
/// SQLite, <c>(SELECT STRING_AGG(t1.tag, ';') FILTER (WHERE t1.ordering_id = x."Ordering") FROM tags t1)</c> on
/// PostgreSQL. Neither can use an index: each returned row reads the whole tag table, one row per fact ever tagged
/// (18 ms a row at 300,000 facts on SQLite), so the read model falls behind for good once the journal has grown.</para>
/// <para>This interceptor, on the plugins' connections, moves the filter to the subquery's <c>WHERE</c>: the same result
/// (the tags of that one row, <c>NULL</c> when it has none), read through the tag table's primary key
/// <c>(ordering_id, tag)</c>. Statements of another shape pass unchanged.</para>
/// </remarks>
internal sealed partial class TagAggregateRewriter : CommandInterceptor
{
    /// <summary>The one instance (it holds no state).</summary>
    public static TagAggregateRewriter Instance { get; } = new();

    private static long _rewritten;

    private TagAggregateRewriter()
    {
    }

    /// <summary>Statements rewritten in this process (a diagnostic for the specs: the plugin still reads tags this way).</summary>
    internal static long Rewritten => Interlocked.Read(ref _rewritten);

    /// <inheritdoc />
    public override DbCommand CommandInitialized(CommandEventData eventData, DbCommand command)
    {
        var rewritten = Rewrite(command.CommandText);
        if (!ReferenceEquals(rewritten, command.CommandText))
        {
            command.CommandText = rewritten;
            Interlocked.Increment(ref _rewritten);
        }
        return command;
    }

    /// <summary><paramref name="sql"/> with its tag aggregates filtered in <c>WHERE</c>; the same instance when it has none.</summary>
    internal static string Rewrite(string sql)
    {
        if (sql.Contains("GROUP_CONCAT(CASE", StringComparison.Ordinal))
            sql = SqliteAggregate().Replace(sql, "GROUP_CONCAT(${tag}, ';') FROM ${table} WHERE ${ordering} = ${row}");
        if (sql.Contains("FILTER (WHERE", StringComparison.Ordinal))
            sql = PostgresAggregate().Replace(sql, "STRING_AGG(${tag}, ';') FROM ${table} WHERE ${filter}");
        return sql;
    }

    [GeneratedRegex("""
        GROUP_CONCAT\(CASE\s+WHEN\s+(?<ordering>\[\w+\]\.\[ordering_id\])\s*=\s*(?<row>\[\w+\]\.\[\w+\])\s+THEN\s+(?<tag>\[\w+\]\.\[tag\])\s+ELSE\s+NULL\s+END,\s*';'\)\s+FROM\s+(?<table>\[\w+\]\s+\[\w+\])
        """, RegexOptions.CultureInvariant)]
    private static partial Regex SqliteAggregate();

    [GeneratedRegex("""
        STRING_AGG\((?<tag>\w+\.tag),\s*';'\)\s+FILTER\s+\(WHERE\s+(?<filter>\w+\.ordering_id\s*=\s*\w+\."?\w+"?)\)\s+FROM\s+(?<table>(?:"?\w+"?\.)?"?\w+"?\s+\w+)
        """, RegexOptions.CultureInvariant)]
    private static partial Regex PostgresAggregate();
}
