using System.Data;
using System.Data.Common;
using Bamboo.Actors.Protocol;
using Microsoft.Data.Sqlite;
using Npgsql;
using static Bamboo.Actors.Protocol.RunnerReplies;

namespace Bamboo.Actors.History;

/// <summary>
/// The read model in tables of the journal's database (SQLite or PostgreSQL), written through ADO.NET: one table of
/// session summaries, one of run records, one of projection offsets. Times are stored as UTC ticks, statuses and
/// policies as their numbers, input and output as JSON text. Lists page by keyset (the sort key of the last item), on
/// indexes that match the sort, so a page costs the same however deep it is.
/// </summary>
public sealed class SqlHistoryStore : IHistoryStore
{
    private const string Sessions = "bamboo_history_sessions";
    private const string Runs = "bamboo_history_runs";
    private const string Offsets = "bamboo_history_offsets";

    private const string SessionColumns =
        "session_id, status, run_id, started_at, ended_at, error, last_event_at, round_count, last_tool_name, last_sequence, run_count";

    private const string RunColumns =
        "session_id, run_id, status, created_at, started_at, ended_at, error, on_conflict, agent, input, output, round_count, " +
        "last_tool_name, last_sequence, cancel_requested, cancel_reason, cancelled_by";

    /// <summary>
    /// The tag table of the session journal (Akka.Persistence.Sql's default name, which <c>BambooPersistence</c> keeps).
    /// </summary>
    internal const string JournalTags = "tags";

    /// <summary>
    /// An index for the projection's reads (SQLite only). The plugin's <c>EventsByTag</c> reads its tag table by
    /// <c>tag = ? AND ordering_id</c> in a range; its indexes are the primary key <c>(ordering_id, tag)</c> and one on
    /// <c>tag</c> alone, and SQLite, without statistics, picks the latter, which walks every row of the tag — every fact
    /// ever tagged — on every poll (55 ms per poll at 300,000 facts, growing with the journal). On
    /// <c>(tag, ordering_id)</c> the same query reads only the rows in range (0.3 ms). PostgreSQL's planner, which keeps
    /// statistics, already reads the primary key's range.
    /// </summary>
    internal const string JournalTagOrderingIndex = "bamboo_tags_tag_ordering_idx";

    private readonly HistoryStoreKind _kind;
    private readonly string _connectionString;
    private readonly int _runsPerSession;
    private readonly NpgsqlDataSource? _postgres;
    private bool _journalIndexed;

    /// <summary>A store on <paramref name="connectionString"/>, keeping <paramref name="runsPerSession"/> runs per session.</summary>
    public SqlHistoryStore(HistoryStoreKind kind, string connectionString, int runsPerSession)
    {
        if (kind is not (HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "a SQL store is SQLite or PostgreSQL");
        _kind = kind;
        _connectionString = connectionString;
        _runsPerSession = runsPerSession;
        if (kind == HistoryStoreKind.PostgreSql) _postgres = NpgsqlDataSource.Create(connectionString);
    }

    private bool Sqlite => _kind == HistoryStoreKind.Sqlite;

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var bigint = Sqlite ? "INTEGER" : "BIGINT";
        string[] ddl =
        [
            // SQLite: readers never wait for the writer (the setting stays with the database file). PostgreSQL: no-op.
            Sqlite ? "PRAGMA journal_mode = WAL" : "SELECT 1",
            $"""
            CREATE TABLE IF NOT EXISTS {Sessions} (
              session_id TEXT NOT NULL PRIMARY KEY, status INTEGER NOT NULL, run_id TEXT NULL, started_at {bigint} NULL,
              ended_at {bigint} NULL, error TEXT NULL, last_event_at {bigint} NOT NULL, round_count INTEGER NOT NULL,
              last_tool_name TEXT NULL, last_sequence {bigint} NOT NULL, run_count INTEGER NOT NULL)
            """,
            $"CREATE INDEX IF NOT EXISTS ix_{Sessions}_activity ON {Sessions} (last_event_at, session_id)",
            $"CREATE INDEX IF NOT EXISTS ix_{Sessions}_status ON {Sessions} (status, last_event_at, session_id)",
            $"""
            CREATE TABLE IF NOT EXISTS {Runs} (
              session_id TEXT NOT NULL, run_id TEXT NOT NULL, status INTEGER NOT NULL, created_at {bigint} NOT NULL,
              started_at {bigint} NULL, ended_at {bigint} NULL, error TEXT NULL, on_conflict INTEGER NOT NULL, agent TEXT NULL,
              input TEXT NULL, output TEXT NULL, round_count INTEGER NOT NULL, last_tool_name TEXT NULL,
              last_sequence {bigint} NOT NULL, cancel_requested INTEGER NOT NULL, cancel_reason TEXT NULL, cancelled_by TEXT NULL,
              PRIMARY KEY (session_id, run_id))
            """,
            $"CREATE INDEX IF NOT EXISTS ix_{Runs}_created ON {Runs} (session_id, created_at, run_id)",
            $"CREATE INDEX IF NOT EXISTS ix_{Runs}_ended ON {Runs} (ended_at)",
            $"CREATE TABLE IF NOT EXISTS {Offsets} (name TEXT NOT NULL PRIMARY KEY, offset_value {bigint} NOT NULL)",
        ];
        foreach (var statement in ddl)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
            {
                // Two nodes creating the tables at once: PostgreSQL's IF NOT EXISTS is not atomic against a concurrent create.
            }
        }
        await IndexJournalTagsAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates <see cref="JournalTagOrderingIndex"/> once the journal's tag table exists (the journal plugin
    /// creates it when it starts, so a first attempt may come too early; every batch applied tries again until it
    /// succeeded). On a journal that grew without it, the first start builds it: about a second per million facts, with
    /// the database's write lock held, so the sessions' writes wait behind it (for up to the busy timeout).</summary>
    private async Task IndexJournalTagsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_journalIndexed || !Sqlite) return;
        await using (var exists = Command(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @p0", Text(JournalTags)))
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) == 0) return;
        await using (var create = Command(connection, $"CREATE INDEX IF NOT EXISTS {JournalTagOrderingIndex} ON {JournalTags} (tag, ordering_id)"))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _journalIndexed = true;
    }

    /// <inheritdoc />
    public async Task<long> ReadOffsetAsync(string projection, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = Command(connection, $"INSERT INTO {Offsets} (name, offset_value) VALUES (@p0, 0) ON CONFLICT (name) DO NOTHING",
                         Text(projection)))
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Command(connection, $"SELECT offset_value FROM {Offsets} WHERE name = @p0", Text(projection));
        return Convert.ToInt64(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task ApplyAsync(string projection, IReadOnlyList<HistoryChange> changes, long expectedOffset, long offset,
        CancellationToken cancellationToken)
    {
        var statements = new List<Statement>(changes.Count * 2 + 1)
        {
            new($"UPDATE {Offsets} SET offset_value = @p0 WHERE name = @p1 AND offset_value = @p2", [Long(offset), Text(projection), Long(expectedOffset)]),
        };
        foreach (var change in changes) AddStatements(statements, change);

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await IndexJournalTagsAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var offsetMoved = _postgres is not null
            ? await ExecutePostgresAsync((NpgsqlConnection)connection, (NpgsqlTransaction)transaction, statements, cancellationToken).ConfigureAwait(false)
            : await ExecuteSqliteAsync((SqliteConnection)connection, (SqliteTransaction)transaction, statements, cancellationToken).ConfigureAwait(false);
        if (offsetMoved != 1)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            throw new OffsetConflictException(projection, expectedOffset);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the statements one by one (SQLite is in process: a round trip costs nothing), each distinct text
    /// prepared once; returns the rows the first one changed.</summary>
    private static async Task<int> ExecuteSqliteAsync(SqliteConnection connection, SqliteTransaction transaction, List<Statement> statements,
        CancellationToken cancellationToken)
    {
        var commands = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
        var first = -1;
        try
        {
            foreach (var statement in statements)
            {
                if (!commands.TryGetValue(statement.Sql, out var command))
                {
                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = statement.Sql;
                    for (var i = 0; i < statement.Args.Length; i++) command.Parameters.Add(new SqliteParameter { ParameterName = $"@p{i}" });
                    commands[statement.Sql] = command;
                }
                for (var i = 0; i < statement.Args.Length; i++)
                {
                    var parameter = command.Parameters[i];
                    parameter.DbType = statement.Args[i].Type;
                    parameter.Value = statement.Args[i].Value ?? DBNull.Value;
                }
                var rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (first < 0) first = rows;
            }
        }
        finally
        {
            foreach (var command in commands.Values) await command.DisposeAsync().ConfigureAwait(false);
        }
        return first;
    }

    /// <summary>Sends every statement in one batch (one round trip); returns the rows the first one changed.</summary>
    private static async Task<int> ExecutePostgresAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Statement> statements,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Sql);
            for (var i = 0; i < statement.Args.Length; i++)
                command.Parameters.Add(new NpgsqlParameter($"p{i}", statement.Args[i].Type) { Value = statement.Args[i].Value ?? DBNull.Value });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return batch.BatchCommands[0].RecordsAffected;
    }

    private static string Greatest(string column, string parameter) =>
        $"CASE WHEN {parameter} > {column} THEN {parameter} ELSE {column} END";

    private void AddStatements(List<Statement> statements, HistoryChange change)
    {
        switch (change)
        {
            case HistoryChange.RunCreated created:
            {
                var at = created.StartedAt ?? created.CreatedAt;
                statements.Add(new(
                    $"""
                    INSERT INTO {Runs} (session_id, run_id, status, created_at, started_at, on_conflict, agent, input, round_count, last_sequence, cancel_requested)
                    VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, 0, @p8, 0)
                    ON CONFLICT (session_id, run_id) DO UPDATE SET
                      status = CASE WHEN excluded.started_at IS NOT NULL AND {Runs}.status = 0 THEN 1 ELSE {Runs}.status END,
                      started_at = COALESCE({Runs}.started_at, excluded.started_at),
                      last_sequence = {Greatest($"{Runs}.last_sequence", "excluded.last_sequence")}
                    """,
                    [
                        Text(created.SessionId), Text(created.RunId), Int((int)(created.StartedAt is null ? RunStatus.Pending : RunStatus.Running)),
                        Long(created.CreatedAt), Long(created.StartedAt), Int((int)created.OnConflict), Text(created.Agent), Text(created.Input),
                        Long(created.Sequence),
                    ]));
                // Retention: the newest runs stay; older ended ones go as new ones come.
                statements.Add(new(
                    $"""
                    DELETE FROM {Runs} WHERE session_id = @p0 AND status >= 2 AND run_id IN (
                      SELECT run_id FROM {Runs} WHERE session_id = @p0 ORDER BY created_at DESC, run_id DESC {(Sqlite ? "LIMIT -1 " : "")}OFFSET @p1)
                    """,
                    [Text(created.SessionId), Int(_runsPerSession)]));
                statements.Add(created.StartedAt is { } started
                    ? new(
                        $"""
                        INSERT INTO {Sessions} ({SessionColumns})
                        VALUES (@p0, 1, @p1, @p2, NULL, NULL, @p2, 0, NULL, @p3, (SELECT COUNT(*) FROM {Runs} WHERE session_id = @p0))
                        ON CONFLICT (session_id) DO UPDATE SET
                          status = 1, run_id = excluded.run_id, started_at = excluded.started_at, ended_at = NULL, error = NULL,
                          round_count = 0, last_tool_name = NULL, run_count = excluded.run_count,
                          last_event_at = {Greatest($"{Sessions}.last_event_at", "excluded.last_event_at")},
                          last_sequence = {Greatest($"{Sessions}.last_sequence", "excluded.last_sequence")}
                        WHERE excluded.last_sequence >= {Sessions}.last_sequence
                        """,
                        [Text(created.SessionId), Text(created.RunId), Long(started), Long(created.Sequence)])
                    : new(
                        $"""
                        INSERT INTO {Sessions} ({SessionColumns})
                        VALUES (@p0, 0, NULL, NULL, NULL, NULL, @p1, 0, NULL, @p2, (SELECT COUNT(*) FROM {Runs} WHERE session_id = @p0))
                        ON CONFLICT (session_id) DO UPDATE SET
                          run_count = excluded.run_count,
                          last_event_at = {Greatest($"{Sessions}.last_event_at", "excluded.last_event_at")},
                          last_sequence = {Greatest($"{Sessions}.last_sequence", "excluded.last_sequence")}
                        """,
                        [Text(created.SessionId), Long(at), Long(created.Sequence)]));
                break;
            }
            case HistoryChange.RunCancelling cancelling:
                statements.Add(new(
                    $"""
                    UPDATE {Runs} SET cancel_requested = 1, cancel_reason = @p2, cancelled_by = @p3,
                      last_sequence = {Greatest("last_sequence", "@p4")}
                    WHERE session_id = @p0 AND run_id = @p1
                    """,
                    [Text(cancelling.SessionId), Text(cancelling.RunId), Text(cancelling.Reason), Text(cancelling.By), Long(cancelling.Sequence)]));
                AddTouch(statements, cancelling.SessionId, cancelling.At, cancelling.Sequence);
                break;
            case HistoryChange.RunFinished { Withdrawn: true } withdrawn:
                statements.Add(new(
                    $"""
                    UPDATE {Runs} SET status = @p2, ended_at = @p3, error = @p4, last_sequence = {Greatest("last_sequence", "@p5")}
                    WHERE session_id = @p0 AND run_id = @p1
                    """,
                    [Text(withdrawn.SessionId), Text(withdrawn.RunId), Int((int)withdrawn.Status), Long(withdrawn.EndedAt), Text(withdrawn.Error),
                        Long(withdrawn.Sequence)]));
                AddTouch(statements, withdrawn.SessionId, withdrawn.EndedAt, withdrawn.Sequence);
                break;
            case HistoryChange.RunFinished finished:
                statements.Add(new(
                    $"""
                    UPDATE {Runs} SET status = @p2, ended_at = @p3, error = @p4, output = @p5, round_count = @p6, last_tool_name = @p7,
                      last_sequence = {Greatest("last_sequence", "@p8")}
                    WHERE session_id = @p0 AND run_id = @p1
                    """,
                    [
                        Text(finished.SessionId), Text(finished.RunId), Int((int)finished.Status), Long(finished.EndedAt), Text(finished.Error),
                        Text(finished.Output), Int(finished.RoundCount), Text(finished.LastToolName), Long(finished.Sequence),
                    ]));
                statements.Add(new(
                    $"""
                    UPDATE {Sessions} SET
                      status = CASE WHEN run_id = @p1 THEN @p2 ELSE status END,
                      ended_at = CASE WHEN run_id = @p1 THEN @p3 ELSE ended_at END,
                      error = CASE WHEN run_id = @p1 THEN @p4 ELSE error END,
                      round_count = CASE WHEN run_id = @p1 THEN @p5 ELSE round_count END,
                      last_tool_name = CASE WHEN run_id = @p1 THEN @p6 ELSE last_tool_name END,
                      last_event_at = {Greatest("last_event_at", "@p3")},
                      last_sequence = {Greatest("last_sequence", "@p7")}
                    WHERE session_id = @p0
                    """,
                    [
                        Text(finished.SessionId), Text(finished.RunId), Int((int)finished.Status), Long(finished.EndedAt), Text(finished.Error),
                        Int(finished.RoundCount), Text(finished.LastToolName), Long(finished.Sequence),
                    ]));
                break;
            case HistoryChange.Progress progress:
                statements.Add(new(
                    $"""
                    UPDATE {Runs} SET
                      round_count = CASE WHEN @p4 >= last_sequence THEN COALESCE(@p2, round_count) ELSE round_count END,
                      last_tool_name = CASE WHEN @p4 >= last_sequence THEN COALESCE(@p3, last_tool_name) ELSE last_tool_name END,
                      last_sequence = {Greatest("last_sequence", "@p4")}
                    WHERE session_id = @p0 AND run_id = @p1
                    """,
                    [Text(progress.SessionId), Text(progress.RunId), Int(progress.RoundCount), Text(progress.LastToolName), Long(progress.Sequence)]));
                statements.Add(new(
                    $"""
                    UPDATE {Sessions} SET
                      round_count = CASE WHEN run_id = @p1 AND @p5 >= last_sequence THEN COALESCE(@p2, round_count) ELSE round_count END,
                      last_tool_name = CASE WHEN run_id = @p1 AND @p5 >= last_sequence THEN COALESCE(@p3, last_tool_name) ELSE last_tool_name END,
                      last_event_at = {Greatest("last_event_at", "@p4")},
                      last_sequence = {Greatest("last_sequence", "@p5")}
                    WHERE session_id = @p0
                    """,
                    [Text(progress.SessionId), Text(progress.RunId), Int(progress.RoundCount), Text(progress.LastToolName), Long(progress.At),
                        Long(progress.Sequence)]));
                break;
            case HistoryChange.Purged purged:
                statements.Add(new($"DELETE FROM {Runs} WHERE session_id = @p0", [Text(purged.SessionId)]));
                statements.Add(new($"DELETE FROM {Sessions} WHERE session_id = @p0", [Text(purged.SessionId)]));
                break;
        }
    }

    private static void AddTouch(List<Statement> statements, string sessionId, DateTimeOffset at, long sequence) =>
        statements.Add(new(
            $"""
            UPDATE {Sessions} SET last_event_at = {Greatest("last_event_at", "@p1")}, last_sequence = {Greatest("last_sequence", "@p2")}
            WHERE session_id = @p0
            """,
            [Text(sessionId), Long(at), Long(sequence)]));

    /// <inheritdoc />
    public async Task<SessionPage> ListSessionsAsync(ListQuery query, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var args = new List<Arg>();
        if (query.Status is { } status)
        {
            where.Add($"status = @p{args.Count}");
            args.Add(Int((int)status));
        }
        if (query.After is { } after)
        {
            where.Add($"(last_event_at, session_id) < (@p{args.Count}, @p{args.Count + 1})");
            args.Add(Long(after.At));
            args.Add(Text(after.Id));
        }
        var sql = $"SELECT {SessionColumns} FROM {Sessions}{Where(where)} ORDER BY last_event_at DESC, session_id DESC LIMIT {query.Limit}";
        var items = await QueryAsync(sql, args, ReadSession, cancellationToken).ConfigureAwait(false);
        var next = HistoryRows.Next(items, query.Limit, s => new HistoryCursor(s.LastEventAt, s.SessionId));
        return new SessionPage(items, next?.ForSessions());
    }

    /// <inheritdoc />
    public async Task<RunPage> ListRunsAsync(string sessionId, ListQuery query, CancellationToken cancellationToken)
    {
        var where = new List<string> { "session_id = @p0" };
        var args = new List<Arg> { Text(sessionId) };
        if (query.Status is { } status)
        {
            where.Add($"status = @p{args.Count}");
            args.Add(Int((int)status));
        }
        if (query.After is { } after)
        {
            where.Add($"(created_at, run_id) < (@p{args.Count}, @p{args.Count + 1})");
            args.Add(Long(after.At));
            args.Add(Text(after.Id));
        }
        var sql = $"SELECT {RunColumns} FROM {Runs}{Where(where)} ORDER BY created_at DESC, run_id DESC LIMIT {query.Limit}";
        var items = await QueryAsync(sql, args, ReadRun, cancellationToken).ConfigureAwait(false);
        var next = HistoryRows.Next(items, query.Limit, r => new HistoryCursor(r.CreatedAt, r.RunId));
        return new RunPage(sessionId, items, next?.ForRuns(sessionId));
    }

    /// <inheritdoc />
    public async Task<RunRecord?> GetRunAsync(string sessionId, string runId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync($"SELECT {RunColumns} FROM {Runs} WHERE session_id = @p0 AND run_id = @p1", [Text(sessionId), Text(runId)],
            ReadRun, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <inheritdoc />
    public async Task<SessionSummary?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync($"SELECT {SessionColumns} FROM {Sessions} WHERE session_id = @p0", [Text(sessionId)], ReadSession,
            cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> RunningSessionsAsync(int limit, CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT session_id FROM {Sessions} WHERE status = 1 LIMIT {limit}", [], reader => reader.GetString(0), cancellationToken)
            .ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<int> PruneAsync(DateTimeOffset horizon, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string[] statements =
        [
            $"""
            UPDATE {Sessions} SET run_count = run_count - (SELECT COUNT(*) FROM {Runs} r WHERE r.session_id = {Sessions}.session_id AND r.ended_at < @p0 AND r.status >= 2)
            WHERE session_id IN (SELECT session_id FROM {Runs} WHERE ended_at < @p0 AND status >= 2)
            """,
            $"DELETE FROM {Runs} WHERE ended_at < @p0 AND status >= 2",
            $"""
            DELETE FROM {Sessions} WHERE last_event_at < @p0 AND status <> 1
              AND NOT EXISTS (SELECT 1 FROM {Runs} r WHERE r.session_id = {Sessions}.session_id)
            """,
        ];
        var deleted = 0;
        for (var i = 0; i < statements.Length; i++)
        {
            await using var command = Command(connection, statements[i], Long(horizon));
            command.Transaction = transaction;
            var rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (i > 0) deleted += rows;
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private static string Where(List<string> conditions) => conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);

    private async Task<List<T>> QueryAsync<T>(string sql, IReadOnlyList<Arg> args, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, sql, [.. args]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) items.Add(read(reader));
        return items;
    }

    private static SessionSummary ReadSession(DbDataReader r) => new(
        r.GetString(0), (RunStatus)r.GetInt32(1), NullableString(r, 2), NullableTime(r, 3), NullableTime(r, 4), NullableString(r, 5),
        HistoryRows.Time(r.GetInt64(6)), r.GetInt32(7), NullableString(r, 8), r.GetInt64(9), r.GetInt32(10));

    private static RunRecord ReadRun(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), (RunStatus)r.GetInt32(2), HistoryRows.Time(r.GetInt64(3)), NullableTime(r, 4), NullableTime(r, 5),
        NullableString(r, 6), (ConflictPolicy)r.GetInt32(7), NullableString(r, 8), NullableString(r, 9), NullableString(r, 10), r.GetInt32(11),
        NullableString(r, 12), r.GetInt64(13), r.GetInt32(14) != 0, NullableString(r, 15), NullableString(r, 16), QueuePosition: null);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? NullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : HistoryRows.Time(reader.GetInt64(ordinal));

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // As the journal's connections: a locked database is waited for (Microsoft.Data.Sqlite would retry every 150 ms),
        // and the write-ahead log is synced at checkpoints.
        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql, params Arg[] args)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            parameter.DbType = args[i].Type;
            parameter.Value = args[i].Value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync().ConfigureAwait(false);
    }

    private readonly record struct Arg(object? Value, DbType Type);

    private sealed record Statement(string Sql, Arg[] Args);

    private static Arg Text(string? value) => new(value, DbType.String);

    private static Arg Int(int? value) => new(value, DbType.Int32);

    private static Arg Long(long? value) => new(value, DbType.Int64);

    private static Arg Long(DateTimeOffset? value) => new(value?.UtcTicks, DbType.Int64);
}
