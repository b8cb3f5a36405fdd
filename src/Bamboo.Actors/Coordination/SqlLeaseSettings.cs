using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Coordination;
using Bamboo.Actors.Configuration;

namespace Bamboo.Actors.Coordination;

/// <summary>
/// What a <see cref="SqlLease"/> reads from its configuration section beyond Akka's <see cref="TimeoutSettings"/>:
/// where the table is, and how much of the heartbeat-timeout the holder trusts.
/// </summary>
internal sealed partial record SqlLeaseSettings(
    SqlLeaseDatabase Database,
    string ConnectionString,
    string TableName,
    bool AutoInitialize,
    TimeSpan SafetyMargin,
    int MaxConcurrentOperations)
{
    /// <summary>Reads and checks the settings of <paramref name="lease"/> (its <see cref="LeaseSettings.LeaseConfig"/>).</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public static SqlLeaseSettings Create(LeaseSettings lease)
    {
        // Akka's LeaseProvider falls back to akka.coordination.lease only; the keys of this lease default to lease.conf.
        var config = lease.LeaseConfig.WithFallback(BambooConfig.Lease.GetConfig(SqlLeaseHocon.ConfigPath));
        var timeouts = lease.TimeoutSettings;
        var database = config.GetString("provider").Trim().ToLowerInvariant() switch
        {
            "sqlite" => SqlLeaseDatabase.Sqlite,
            "postgresql" => SqlLeaseDatabase.PostgreSql,
            var other => throw new ArgumentException($"Lease provider must be \"sqlite\" or \"postgresql\", not \"{other}\"."),
        };
        var connectionString = config.GetString("connection-string");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException($"Lease [{lease.LeaseName}]: connection-string is required.");
        var tableName = config.GetString("table-name");
        // The table name is written into the SQL text: only plain (optionally schema-qualified) identifiers.
        if (!Identifier().IsMatch(tableName))
            throw new ArgumentException($"Lease table-name \"{tableName}\" is not a plain SQL identifier.");

        var margin = ParseMargin(config.GetString("safety-margin"), timeouts.HeartbeatTimeout)
            ?? config.GetTimeSpan("safety-margin");
        var validity = timeouts.HeartbeatTimeout - margin;
        if (margin < TimeSpan.Zero || validity <= TimeSpan.Zero)
            throw new ArgumentException($"Lease safety-margin ({margin}) must be between zero and heartbeat-timeout ({timeouts.HeartbeatTimeout}).");
        // A renewal starts every heartbeat-interval and may take up to lease-operation-timeout; the previous one must
        // still be valid when it returns, or CheckLease would flicker false on a healthy database.
        if (timeouts.HeartbeatInterval + timeouts.OperationTimeout >= validity)
            throw new ArgumentException(
                $"Lease heartbeat-interval ({timeouts.HeartbeatInterval}) + lease-operation-timeout ({timeouts.OperationTimeout}) " +
                $"must be less than heartbeat-timeout - safety-margin ({validity}).");

        var maxConcurrent = config.GetInt("max-concurrent-operations");
        if (maxConcurrent < 1) throw new ArgumentException($"Lease max-concurrent-operations must be at least 1, not {maxConcurrent}.");

        return new SqlLeaseSettings(database, connectionString, tableName, config.GetBoolean("auto-initialize"), margin, maxConcurrent);
    }

    /// <summary>A plain number is a fraction of heartbeat-timeout; anything else is left to HOCON's duration parser.</summary>
    private static TimeSpan? ParseMargin(string value, TimeSpan heartbeatTimeout) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction)
            ? fraction is >= 0 and < 1
                ? TimeSpan.FromTicks((long)(heartbeatTimeout.Ticks * fraction))
                : throw new ArgumentException($"Lease safety-margin {value} as a fraction of heartbeat-timeout must be at least 0 and less than 1.")
            : null;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?$")]
    private static partial Regex Identifier();
}
