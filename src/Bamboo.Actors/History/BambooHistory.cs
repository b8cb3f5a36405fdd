using Akka.Actor;

namespace Bamboo.Actors.History;

/// <summary>
/// The read model of an ActorSystem (an Akka extension): its settings (<c>bamboo.history</c>) and store, which every
/// query of the system reads, and the props of the projection that fills it. Hosting starts the projection
/// (<c>WithBambooRunners</c>); a system created without hosting starts it with <see cref="ProjectionProps"/>.
/// </summary>
public sealed class BambooHistory : IExtension
{
    private Task? _initialization;

    /// <summary>Reads the settings of <paramref name="system"/> and opens its store.</summary>
    public BambooHistory(ExtendedActorSystem system)
    {
        Settings = HistorySettings.Create(system);
        Store = Settings.Store switch
        {
            HistoryStoreKind.Memory => new MemoryHistoryStore(Settings.RunsPerSession),
            HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql => new SqlHistoryStore(Settings.Store, Settings.ConnectionString, Settings.RunsPerSession),
            _ => null,
        };
        _ = system.WhenTerminated.ContinueWith(_ => Store?.DisposeAsync().AsTask() ?? Task.CompletedTask, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The system's read model.</summary>
    public static BambooHistory Get(ActorSystem system) => system.WithExtension<BambooHistory, BambooHistoryProvider>();

    /// <summary>The settings in effect.</summary>
    public HistorySettings Settings { get; }

    /// <summary>The store; null when the system has no read model (<c>bamboo.history.store = none</c>).</summary>
    public IHistoryStore? Store { get; }

    /// <summary>The store once its tables exist (null when there is none). A failed creation is tried again by the next
    /// caller.</summary>
    public async Task<IHistoryStore?> ReadyStoreAsync()
    {
        if (Store is null) return null;
        var initialization = Volatile.Read(ref _initialization);
        if (initialization is null || initialization.IsFaulted || initialization.IsCanceled)
        {
            _ = Interlocked.CompareExchange(ref _initialization, Store.InitializeAsync(CancellationToken.None), initialization);
            initialization = Volatile.Read(ref _initialization)!;
        }
        await initialization.ConfigureAwait(false);
        return Store;
    }

    /// <summary>
    /// The props of the projection that fills the store: from the journal's tagged facts for a SQL store (exactly one per
    /// cluster: run it as a cluster singleton when sharded), from this node's EventStream for the in-memory store (one per
    /// node). Null when the system has no read model.
    /// </summary>
    /// <param name="supervisor">The runners' supervisor, whose running sessions a SQL projection wakes once it has caught up
    /// after a restart (local mode); null when sessions need no waking (sharded: remembered entities).</param>
    public Props? ProjectionProps(IActorRef? supervisor) => Settings.Store switch
    {
        HistoryStoreKind.Memory => EventStreamProjection.Props(Store!, Settings),
        HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql => HistoryProjection.Props(Store!, Settings, supervisor),
        _ => null,
    };

    /// <summary>Whether the projection reads the journal (one per cluster) rather than this node's EventStream.</summary>
    public bool ReadsJournal => Settings.Store is HistoryStoreKind.Sqlite or HistoryStoreKind.PostgreSql;
}

/// <summary>Creates <see cref="BambooHistory"/>.</summary>
public sealed class BambooHistoryProvider : ExtensionIdProvider<BambooHistory>
{
    /// <inheritdoc />
    public override BambooHistory CreateExtension(ExtendedActorSystem system) => new(system);
}
