namespace Bamboo.Actors.Coordination;

/// <summary>
/// The lease table of one database: one row per lease name with its owner, its expiry and a version that every write
/// increases. Every operation is one atomic statement; expiry is computed and compared by the database's clock only.
/// </summary>
internal interface ILeaseStore
{
    /// <summary>Creates the table when it is missing.</summary>
    Task EnsureTableAsync(CancellationToken cancellation);

    /// <summary>
    /// Compare-and-set: takes <paramref name="name"/> for <paramref name="owner"/> until the database's now +
    /// <paramref name="ttl"/> if the lease is free, already <paramref name="owner"/>'s, or expired. The new version, or
    /// null when another owner holds an unexpired lease.
    /// </summary>
    Task<long?> TryAcquireAsync(string name, string owner, TimeSpan ttl, CancellationToken cancellation);

    /// <summary>
    /// Extends the lease to the database's now + <paramref name="ttl"/> if it is still exactly what this holder wrote
    /// (<paramref name="owner"/> at <paramref name="version"/>). The new version, or null when anybody wrote it since.
    /// </summary>
    Task<long?> RenewAsync(string name, string owner, long version, TimeSpan ttl, CancellationToken cancellation);

    /// <summary>Clears the owner if the lease is still exactly what this holder wrote. Whether it was.</summary>
    Task<bool> ReleaseAsync(string name, string owner, long version, CancellationToken cancellation);

    /// <summary>
    /// The unexpired leases (by the database's clock) whose owner starts with <paramref name="ownerPrefix"/> and is not
    /// <paramref name="exceptOwner"/>: what other nodes of this system hold now.
    /// </summary>
    Task<IReadOnlyList<HeldLease>> HeldByOthersAsync(string ownerPrefix, string exceptOwner, CancellationToken cancellation);
}

/// <summary>One held lease as the table has it.</summary>
internal sealed record HeldLease(string Name, string Owner, long Version)
{
    /// <summary>Runs <paramref name="command"/> (selecting name, owner, version) and reads every row.</summary>
    public static async Task<IReadOnlyList<HeldLease>> ReadAllAsync(System.Data.Common.DbCommand command, CancellationToken cancellation)
    {
        var held = new List<HeldLease>();
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation)) held.Add(new HeldLease(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return held;
    }
}
