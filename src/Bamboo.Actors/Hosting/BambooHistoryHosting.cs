using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Bamboo.Actors.History;
using Bamboo.Actors.Runners;
using Bamboo.Actors.Sharding;

namespace Bamboo.Actors.Hosting;

/// <summary>
/// Hosting of the read model: where it lives follows the sessions' persistence — tables on the journal's database for
/// SQLite and PostgreSQL, fed by one projection of the journal's tagged facts (a cluster singleton when sharded), or in
/// memory, fed by the facts sessions publish on each node's EventStream, when sessions are not kept in SQL.
/// </summary>
public static class BambooHistoryHosting
{
    /// <summary>The projection's actor name (local mode) and singleton name (sharded mode).</summary>
    public const string ProjectionName = "bamboo-history";

    /// <summary>Where the read model of <paramref name="options"/> lives.</summary>
    public static HistoryStoreKind StoreOf(BambooRunnerOptions options) => !options.History.Enabled
        ? HistoryStoreKind.None
        : options.Persistence.Mode switch
        {
            BambooPersistenceMode.Sqlite => HistoryStoreKind.Sqlite,
            BambooPersistenceMode.PostgreSql => HistoryStoreKind.PostgreSql,
            _ => HistoryStoreKind.Memory,
        };

    /// <summary>The read model's HOCON for <paramref name="options"/>: its store, and the settings that were set.</summary>
    public static Config ToHocon(BambooRunnerOptions options)
    {
        var store = StoreOf(options);
        var history = options.History;
        var hocon = new StringBuilder();
        hocon.Append("bamboo.history.store = ").AppendLine(store.ToString().ToLowerInvariant());
        if (store is HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql)
        {
            hocon.Append("bamboo.history.connection-string = ").AppendLine(JsonSerializer.Serialize(options.Persistence.EffectiveConnectionString));
            hocon.Append("bamboo.history.read-journal = ").AppendLine(JsonSerializer.Serialize("akka.persistence.query.journal." + BambooPersistence.SqlPluginIdentifier));
        }
        // In-memory sessions, and durable ones on the in-memory journal (which has no tag query), publish their facts.
        if (store == HistoryStoreKind.Memory) hocon.AppendLine("bamboo.runners.publish-facts = on");
        hocon.AppendSetting("bamboo.history.runs-per-session", history.RunsPerSession);
        hocon.AppendSetting("bamboo.history.max-age", history.MaxAge);
        hocon.AppendSetting("bamboo.history.prune-interval", history.PruneInterval);
        hocon.AppendSetting("bamboo.history.poll-interval", history.PollInterval);
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    /// <summary>
    /// The SQL query plugin polls the journal at the projection's pace: its idea of the journal's highest offset (the
    /// journal-sequence actor's query delay) and its refresh interval both default to 1 s, which would be the least lag.
    /// </summary>
    private static Config QueryHocon(TimeSpan poll)
    {
        var ms = (long)poll.TotalMilliseconds;
        var plugin = "akka.persistence.query.journal." + BambooPersistence.SqlPluginIdentifier;
        return ConfigurationFactory.ParseString(
            $"{plugin}.refresh-interval = {ms}ms\n{plugin}.journal-sequence-retrieval.query-delay = {ms}ms\n");
    }

    /// <summary>Adds the read model's configuration (in front of the defaults).</summary>
    public static AkkaConfigurationBuilder WithBambooHistoryConfiguration(this AkkaConfigurationBuilder builder, BambooRunnerOptions options)
    {
        builder.AddHocon(ToHocon(options), HoconAddMode.Prepend);
        if (StoreOf(options) is HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql)
            builder.AddHocon(QueryHocon(options.History.PollInterval ?? HistorySettings.Default.PollInterval), HoconAddMode.Prepend);
        return builder;
    }

    /// <summary>
    /// Starts the read model's projection: in local mode an actor next to the supervisor (whose running sessions it wakes
    /// once it has caught up after a start); in sharded mode with a SQL store one cluster singleton, so exactly one writes
    /// the tables and their offset; an in-memory store has one per node, fed by that node's sessions.
    /// </summary>
    public static AkkaConfigurationBuilder WithBambooHistoryProjection(this AkkaConfigurationBuilder builder, BambooRunnerOptions options)
    {
        var store = StoreOf(options);
        if (store == HistoryStoreKind.None) return builder;
        if (options.Sharded && store != HistoryStoreKind.Memory)
        {
            return builder.WithSingleton<HistoryProjection>(ProjectionName,
                (system, _, _) => BambooHistory.Get(system).ProjectionProps(supervisor: null)!,
                new ClusterSingletonOptions
                {
                    Role = options.ShardRole,
                    // Also across two clusters formed on one store by mistake: one projection writes the tables.
                    LeaseImplementation = BambooSharding.Lease(options.Persistence),
                    LeaseRetryInterval = BambooSharding.LeaseRetryInterval,
                },
                createProxyToo: false);
        }
        return builder.WithActors((system, registry) =>
        {
            var supervisor = options.Sharded ? null : registry.Get<RunnerSupervisor>();
            system.ActorOf(BambooHistory.Get(system).ProjectionProps(supervisor)!, ProjectionName);
        });
    }
}
