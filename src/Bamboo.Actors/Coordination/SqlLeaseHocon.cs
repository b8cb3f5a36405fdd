using System.Text;
using System.Text.Json;
using Akka.Configuration;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Hosting;

namespace Bamboo.Actors.Coordination;

/// <summary>The lease's configuration for a deployment's persistence: the lease table lives in the journal's database.</summary>
public static class SqlLeaseHocon
{
    /// <summary>The lease's configuration section, where sharding (<c>use-lease</c>) and the Split Brain Resolver
    /// (<c>lease-majority.lease-implementation</c>) are pointed.</summary>
    public const string ConfigPath = "bamboo.coordination.lease";

    /// <summary>
    /// <c>bamboo.coordination.lease</c> on the database of <paramref name="options"/> (its connection string and
    /// provider), with the defaults of <c>hocon/lease.conf</c> as fallback. Only the SQL modes have a database that
    /// several nodes share; for the others there is nothing to put a lease in.
    /// </summary>
    /// <exception cref="InvalidOperationException">The mode is not SQLite or PostgreSQL, or it has no connection string.</exception>
    public static Config FromPersistence(BambooPersistenceOptions options)
    {
        var provider = options.Mode switch
        {
            BambooPersistenceMode.Sqlite => "sqlite",
            BambooPersistenceMode.PostgreSql => "postgresql",
            var mode => throw new InvalidOperationException($"A lease needs the journal's SQL database; persistence mode {mode} has none."),
        };
        var connectionString = options.EffectiveConnectionString
            ?? throw new InvalidOperationException($"Bamboo:Persistence:ConnectionString is required for {options.Mode}.");
        var hocon = new StringBuilder()
            .Append(ConfigPath).AppendLine(" {")
            .Append("  provider = ").AppendLine(Quote(provider))
            .Append("  connection-string = ").AppendLine(Quote(connectionString))
            .AppendLine("}");
        return ConfigurationFactory.ParseString(hocon.ToString()).WithFallback(BambooConfig.Lease);
    }

    // A JSON string literal is a valid HOCON quoted string: quotes, backslashes and control characters escaped.
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
