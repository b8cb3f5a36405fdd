using Akka.Actor;
using Akka.Configuration;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Hosting;
using Bamboo.Actors.Protocol;
using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Tests.Persistence;

/// <summary>An ActorSystem with durable sessions on a given persistence configuration, and its supervisor.</summary>
public sealed class DurableSystem : IAsyncDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private DurableSystem(ActorSystem system, RunnerSettings settings)
    {
        System = system;
        Settings = settings;
        Supervisor = system.ActorOf(RunnerSupervisor.Props(settings), "runners");
    }

    public ActorSystem System { get; }

    public RunnerSettings Settings { get; }

    public IActorRef Supervisor { get; }

    public static DurableSystem Start(BambooPersistenceOptions persistence, string extraHocon = "")
    {
        if (persistence.Mode == BambooPersistenceMode.Sqlite) BambooPersistence.PrepareSqlite(persistence.EffectiveConnectionString!);
        var config = ConfigurationFactory.ParseString(extraHocon)
            .WithFallback(BambooPersistence.ToHocon(persistence))
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
            .WithFallback(BambooConfig.Default);
        var system = ActorSystem.Create("durable", BambooPersistence.Bootstrap(persistence, config));
        return new DurableSystem(system, BambooConfig.RunnerSettings(system));
    }

    /// <summary>A SQLite-backed system on <paramref name="folder"/>.</summary>
    public static DurableSystem OnSqlite(string folder, string extraHocon = "") =>
        Start(new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = folder }, extraHocon);

    public Task<T> Ask<T>(IRunnerCommand command) => Supervisor.Ask<T>(command, AskTimeout);

    public Task<RunnerReplies.RunnerSnapshot> StatusAsync(string sessionId) =>
        Ask<RunnerReplies.RunnerSnapshot>(new RunnerCommands.GetStatus(sessionId));

    /// <summary>An actor that does nothing: a stand-in executor that lives as long as this system.</summary>
    public IActorRef Executor(string name) => System.ActorOf(Props.Empty, name);

    /// <summary>
    /// Stops the sessions first, then the system: to the journal this is a crash (a durable session records nothing when
    /// it stops), and no session sees its executors die on the way down, as none would in a killed process.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await Supervisor.GracefulStop(AskTimeout);
        await System.Terminate();
    }
}

/// <summary>A fresh folder for one test's database, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bamboo-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a terminating system; the OS temp cleaner takes it.
        }
    }
}
