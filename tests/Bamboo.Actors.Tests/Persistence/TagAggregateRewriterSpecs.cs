using Bamboo.Actors.Hosting;
using Bamboo.Actors.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>
/// The journal plugin's read of a row's tags, as linq2db renders it (captured from Akka.Persistence.Sql 1.5.70 with
/// linq2db 6.5.1), is rewritten into a lookup by the row's ordering: the same rows and tags, read through the tag
/// table's primary key instead of the whole table once per row.
/// </summary>
public sealed class TagAggregateRewriterSpecs : IDisposable
{
    /// <summary>The plugin's events-by-tag read on SQLite, with the aggregate as linq2db renders it.</summary>
    private const string SqliteEventsByTag = """
        SELECT
        	[x_1].[Ordering],
        	[x_1].[Message],
        	(
        		SELECT
        			GROUP_CONCAT(CASE
        				WHEN [t1].[ordering_id] = [x_1].[Ordering] THEN [t1].[tag]
        				ELSE NULL
        			END, ';')
        		FROM
        			[tags] [t1]
        	)
        FROM
        	(
        		SELECT
        			[x].[ordering] as [Ordering],
        			[x].[message] as [Message]
        		FROM
        			[journal] [x]
        				INNER JOIN [tags] [lp] ON [lp].[ordering_id] = [x].[ordering]
        		WHERE
        			[lp].[ordering_id] > @Offset AND
        			[lp].[ordering_id] <= @MaxOffset AND
        			NOT [x].[deleted] AND
        			[lp].[tag] = @Tag
        		ORDER BY
        			[x].[ordering]
        		LIMIT @take
        	) [x_1]
        """;

    /// <summary>The same read on PostgreSQL.</summary>
    private const string PostgresEventsByTag = """
        SELECT
        	x_1."Ordering",
        	x_1."Message",
        	(
        		SELECT
        			STRING_AGG(t1.tag, ';') FILTER (WHERE t1.ordering_id = x_1."Ordering")
        		FROM
        			tags t1
        	)
        FROM
        	(
        		SELECT
        			x.ordering as "Ordering",
        			x.message as "Message"
        		FROM
        			journal x
        				INNER JOIN tags lp ON lp.ordering_id = x.ordering
        		WHERE
        			lp.ordering_id > :Offset AND
        			lp.ordering_id <= :MaxOffset AND
        			NOT x.deleted AND
        			lp.tag = :Tag
        		ORDER BY
        			x.ordering
        		LIMIT :take
        	) x_1
        """;

    private readonly TempFolder _folder = new();

    [Fact]
    public void Should_move_the_filter_of_the_SQLite_aggregate_into_the_subquerys_where()
    {
        const string correlated = "GROUP_CONCAT([t1].[tag], ';') FROM [tags] [t1] WHERE [t1].[ordering_id] = [x_1].[Ordering]";

        var rewritten = Normalize(TagAggregateRewriter.Rewrite(SqliteEventsByTag));

        // The aggregate and its FROM are replaced; everything before and after is left as it was.
        var original = Normalize(SqliteEventsByTag);
        var head = original[..original.IndexOf("GROUP_CONCAT", StringComparison.Ordinal)];
        var tail = original[(original.IndexOf("[tags] [t1]", StringComparison.Ordinal) + "[tags] [t1]".Length)..];
        Assert.Equal(head + correlated + tail, rewritten);
    }

    [Fact]
    public void Should_move_the_filter_of_the_PostgreSQL_aggregate_into_the_subquerys_where()
    {
        var rewritten = TagAggregateRewriter.Rewrite(PostgresEventsByTag);

        Assert.Contains("STRING_AGG(t1.tag, ';') FROM tags t1 WHERE t1.ordering_id = x_1.\"Ordering\"", rewritten);
        Assert.DoesNotContain("FILTER", rewritten);
    }

    [Theory]
    [InlineData("SELECT max(sequence_number) FROM journal WHERE persistence_id = @p")]
    [InlineData("SELECT GROUP_CONCAT(CASE WHEN a = 1 THEN b ELSE NULL END, ',') FROM other")]
    [InlineData("SELECT count(*) FILTER (WHERE status = 1) FROM bamboo_history_runs")]
    public void Should_leave_other_statements_as_they_are(string sql) =>
        Assert.Same(sql, TagAggregateRewriter.Rewrite(sql));

    [Fact]
    public async Task Should_read_the_same_tags_through_the_key_on_SQLite()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Directory.CreateDirectory(_folder.Path).FullName, "tags.db")}");
        await connection.OpenAsync();
        await ExecuteAsync(connection, PluginSchema("INTEGER", "[", "]"));
        await ExecuteAsync(connection, """
            INSERT INTO journal (ordering, deleted, message) VALUES (1, 0, x'01'), (2, 0, x'02'), (3, 0, x'03');
            INSERT INTO tags (ordering_id, tag) VALUES (1, 'a'), (2, 'a'), (2, 'b'), (3, 'b');
            """);
        var sql = SqliteEventsByTag.Replace("@Offset", "0").Replace("@MaxOffset", "3").Replace("@Tag", "'a'").Replace("@take", "10");

        Assert.Equal(await TagsAsync(connection, sql), await TagsAsync(connection, TagAggregateRewriter.Rewrite(sql)));
        Assert.Equal(["1:a", "2:a;b"], await TagsAsync(connection, TagAggregateRewriter.Rewrite(sql)));
        var plan = await PlanAsync(connection, "EXPLAIN QUERY PLAN " + TagAggregateRewriter.Rewrite(sql), reader => reader.GetString(3));
        Assert.Contains(plan, step => step.StartsWith("SEARCH t1 USING COVERING INDEX sqlite_autoindex_tags_1 (ordering_id=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN t1", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Should_read_the_same_tags_through_the_key_on_PostgreSQL()
    {
        var missing = TestPostgres.MissingReason();
        Skip.If(missing is not null, missing);
        var schema = "tags_spec_" + Guid.NewGuid().ToString("N")[..12];
        await using var admin = new NpgsqlConnection(TestPostgres.ConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"CREATE SCHEMA {schema}");
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionString) { SearchPath = schema }.ConnectionString);
            await connection.OpenAsync();
            await ExecuteAsync(connection, PluginSchema("BIGINT", "", "").Replace("deleted INTEGER", "deleted BOOLEAN").Replace("message BLOB", "message BYTEA"));
            await ExecuteAsync(connection, """
                INSERT INTO journal (ordering, deleted, message) VALUES (1, false, '\x01'), (2, false, '\x02'), (3, false, '\x03');
                INSERT INTO tags (ordering_id, tag) VALUES (1, 'a'), (2, 'a'), (2, 'b'), (3, 'b');
                SET enable_seqscan = off;
                """);
            var sql = PostgresEventsByTag.Replace(":Offset", "0").Replace(":MaxOffset", "3").Replace(":Tag", "'a'").Replace(":take", "10");

            Assert.Equal(await TagsAsync(connection, sql), await TagsAsync(connection, TagAggregateRewriter.Rewrite(sql)));
            Assert.Equal(["1:a", "2:a;b"], await TagsAsync(connection, TagAggregateRewriter.Rewrite(sql)));
            // With sequential scans priced out, only a subquery with an index condition avoids a scan of the whole table.
            var plan = string.Join('\n', await PlanAsync(connection, "EXPLAIN " + TagAggregateRewriter.Rewrite(sql), reader => reader.GetString(0)));
            Assert.Contains("Index Cond: (ordering_id = x_1.\"Ordering\")", plan);
        }
        finally
        {
            await ExecuteAsync(admin, $"DROP SCHEMA {schema} CASCADE");
        }
    }

    /// <summary>The columns of the plugin's journal and tag tables that the read touches, with the tag table's key.</summary>
    private static string PluginSchema(string bigint, string open, string close) => $"""
        CREATE TABLE {open}journal{close} (ordering {bigint} NOT NULL PRIMARY KEY, deleted INTEGER NOT NULL, message BLOB NOT NULL);
        CREATE TABLE {open}tags{close} (ordering_id {bigint} NOT NULL, tag VARCHAR(64) NOT NULL, PRIMARY KEY (ordering_id, tag));
        CREATE INDEX tags_tag_idx ON tags (tag);
        """;

    private static string Normalize(string sql) => string.Join(' ', sql.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Each returned row as "ordering:tags" (tags sorted, so both renderings compare).</summary>
    private static Task<List<string>> TagsAsync(System.Data.Common.DbConnection connection, string sql) =>
        PlanAsync(connection, sql, reader =>
            $"{reader.GetInt64(0)}:{string.Join(';', (reader.IsDBNull(2) ? "" : reader.GetString(2)).Split(';').Order(StringComparer.Ordinal))}");

    private static async Task<List<string>> PlanAsync(System.Data.Common.DbConnection connection, string sql,
        Func<System.Data.Common.DbDataReader, string> read)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }

    public void Dispose() => _folder.Dispose();
}
