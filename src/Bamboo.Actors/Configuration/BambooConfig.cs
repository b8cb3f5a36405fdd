using Akka.Actor;
using Akka.Configuration;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Configuration;

/// <summary>The library's HOCON defaults (<c>hocon/*.conf</c>, embedded) and the settings read from them.</summary>
public static class BambooConfig
{
    private static readonly Lazy<Akka.Configuration.Config> SerializationConfig = new(() => Load("serialization.conf"));
    private static readonly Lazy<Akka.Configuration.Config> DefaultConfig =
        new(() => Load("bamboo.conf").WithFallback(SerializationConfig.Value));
    private static readonly Lazy<Akka.Configuration.Config> ClusterConfig = new(() => Load("cluster.conf"));
    private static readonly Lazy<Akka.Configuration.Config> LeaseConfig = new(() => Load("lease.conf"));
    private static readonly Lazy<Akka.Configuration.Config> PersistenceConfig = new(() => Load("persistence.conf"));

    /// <summary>
    /// The <c>bamboo</c> defaults (<c>hocon/bamboo.conf</c>) together with <see cref="Serialization"/>. Create the
    /// ActorSystem with it as a fallback (<c>ActorSystem.Create(name, myConfig.WithFallback(BambooConfig.Default))</c>)
    /// so that the runner settings and the message serializer are both in place.
    /// </summary>
    public static Akka.Configuration.Config Default => DefaultConfig.Value;

    /// <summary>
    /// Binds every Bamboo.Actors message and event to <see cref="Bamboo.Actors.Serialization.BambooSerializer"/>
    /// (<c>hocon/serialization.conf</c>), so they cross nodes without Akka's default JSON serializer.
    /// Akka registers serializers only when an ActorSystem starts: add this to the configuration the system is created
    /// with (for Akka.Hosting: <c>builder.AddHocon(BambooConfig.Serialization, HoconAddMode.Append)</c>). Injecting it as
    /// a fallback into a running system does not register the serializer.
    /// </summary>
    public static Akka.Configuration.Config Serialization => SerializationConfig.Value;

    /// <summary>The cluster defaults of sharded mode (<c>hocon/cluster.conf</c>): the Split Brain Resolver with the
    /// keep-majority strategy and a 20 s stable-after.</summary>
    public static Akka.Configuration.Config Cluster => ClusterConfig.Value;

    /// <summary>The defaults of the lease on the journal's database (<c>hocon/lease.conf</c>, section
    /// <c>bamboo.coordination.lease</c>, see <see cref="Bamboo.Actors.Coordination.SqlLease"/>).</summary>
    public static Akka.Configuration.Config Lease => LeaseConfig.Value;

    /// <summary>The store settings of durable sessions (<c>hocon/persistence.conf</c>, section <c>bamboo.persistence</c>): the
    /// SQL plugins' settings per store, and SQLite's connection settings. Applied by
    /// <see cref="Bamboo.Actors.Hosting.BambooPersistence"/>.</summary>
    public static Akka.Configuration.Config Persistence => PersistenceConfig.Value;

    /// <summary>Reads an embedded HOCON file from <c>hocon/</c>.</summary>
    public static Akka.Configuration.Config Load(string fileName)
    {
        var name = $"Bamboo.Actors.hocon.{fileName}";
        using var stream = typeof(BambooConfig).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded HOCON resource '{name}' is missing.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>
    /// Runner settings from <paramref name="system"/>'s configuration (<c>bamboo.runners</c>), over the embedded defaults.
    /// Reading them changes nothing in the system (hosting adds the defaults to its configuration once, at start).
    /// </summary>
    public static RunnerSettings RunnerSettings(ActorSystem system)
    {
        return FromConfig(system.Settings.Config.GetConfig("bamboo.runners")) with
        {
            SessionMailbox = Runners.SessionMailbox.For(system) is not null,
        };
    }

    /// <summary>Runner settings from a <c>bamboo.runners</c> section; missing keys take the embedded defaults.</summary>
    public static RunnerSettings FromConfig(Akka.Configuration.Config? section)
    {
        var config = (section ?? Akka.Configuration.Config.Empty).WithFallback(Default.GetConfig("bamboo.runners"));
        return new RunnerSettings
        {
            IdleTimeout = config.GetTimeSpan("idle-timeout"),
            MaxQueueLength = config.GetInt("max-queue-length"),
            EventRetention = config.GetInt("event-retention"),
            ReplayCriticalEvents = config.GetInt("replay-critical-events"),
            DefaultDeadline = config.GetTimeSpan("default-deadline"),
            DeadlineGrace = config.GetTimeSpan("deadline-grace"),
            ShutdownGrace = config.GetTimeSpan("shutdown-grace"),
            Durable = config.GetBoolean("durable"),
            JournalPluginId = config.GetString("journal-plugin", ""),
            SnapshotPluginId = config.GetString("snapshot-plugin", ""),
            SnapshotEvery = config.GetInt("snapshot-every"),
            PublishFacts = config.GetBoolean("publish-facts"),
            EventBatchSize = config.GetInt("event-batch-size"),
            EventBatchInterval = config.GetTimeSpan("event-batch-interval"),
            IdempotencyWindow = config.GetTimeSpan("idempotency-window"),
        }.Validate();
    }
}
