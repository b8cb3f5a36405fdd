namespace Bamboo.Actors.Coordination;

/// <summary>The database a <see cref="SqlLease"/> keeps its table in (setting <c>provider</c>).</summary>
internal enum SqlLeaseDatabase
{
    /// <summary><c>sqlite</c>: Microsoft.Data.Sqlite; every contender runs on the host that has the file.</summary>
    Sqlite,

    /// <summary><c>postgresql</c>: Npgsql; the clustered deployment's journal database.</summary>
    PostgreSql,
}
