using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using Bamboo.Actors.Configuration;
using Bamboo.Actors.Coordination;
using Bamboo.Actors.Hosting;

namespace Bamboo.Actors.Tests.Coordination;

/// <summary>The lease's configuration: embedded defaults, the persistence-derived section, and what is refused.</summary>
public sealed class SqlLeaseSettingsSpecs
{
    [Fact]
    public async Task Should_create_the_lease_through_LeaseProvider_from_the_journals_database_and_the_embedded_defaults()
    {
        var persistence = new BambooPersistenceOptions { Mode = BambooPersistenceMode.PostgreSql, ConnectionString = "Host=db;Password=\"a;b\\\\c\"" };
        using var system = ActorSystem.Create("lease-settings", SqlLeaseHocon.FromPersistence(persistence));
        try
        {
            var lease = Assert.IsType<SqlLease>(LeaseProvider.Get(system).GetLease("bamboo-shard-1", SqlLeaseHocon.ConfigPath, "host:4053"));

            Assert.Equal(("bamboo-shard-1", "host:4053"), (lease.Settings.LeaseName, lease.Settings.OwnerName));
            var timeouts = lease.Settings.TimeoutSettings;
            Assert.Equal((TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)),
                (timeouts.HeartbeatTimeout, timeouts.HeartbeatInterval, timeouts.OperationTimeout));
            Assert.Equal(new SqlLeaseSettings(SqlLeaseDatabase.PostgreSql, persistence.ConnectionString, "bamboo_leases", true, TimeSpan.FromSeconds(2.4), 4),
                lease.SqlSettings);
            Assert.False(lease.CheckLease());
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Should_put_the_lease_of_a_sqlite_deployment_in_its_journal_file()
    {
        var persistence = new BambooPersistenceOptions { Mode = BambooPersistenceMode.Sqlite, DataFolder = "/var/lib/bamboo" };

        var section = SqlLeaseHocon.FromPersistence(persistence).GetConfig(SqlLeaseHocon.ConfigPath);

        Assert.Equal(("sqlite", persistence.EffectiveConnectionString), (section.GetString("provider"), section.GetString("connection-string")));
        Assert.Equal("Bamboo.Actors.Coordination.SqlLease, Bamboo.Actors", section.GetString("lease-class"));
    }

    [Theory]
    [InlineData(BambooPersistenceMode.InMemory)]
    [InlineData(BambooPersistenceMode.None)]
    public void Should_refuse_a_lease_without_a_shared_database(BambooPersistenceMode mode) =>
        Assert.Throws<InvalidOperationException>(() => SqlLeaseHocon.FromPersistence(new BambooPersistenceOptions { Mode = mode }));

    [Fact]
    public void Should_take_the_table_and_margin_defaults_from_lease_conf_when_the_section_names_only_the_database()
    {
        // As LeaseProvider builds it for a section written by hand, without BambooConfig.Lease in the system's config.
        var config = ConfigurationFactory.ParseString("""
                lease-class = "Bamboo.Actors.Coordination.SqlLease, Bamboo.Actors"
                provider = postgresql
                connection-string = "Host=db"
                """)
            .WithFallback(LeaseProvider.DefaultConfig().GetConfig("akka.coordination.lease"));

        var settings = SqlLeaseSettings.Create(LeaseSettings.Create(config, "lease", "owner"));

        // Akka's heartbeat-timeout (120s) with lease.conf's 20% margin.
        Assert.Equal(new SqlLeaseSettings(SqlLeaseDatabase.PostgreSql, "Host=db", "bamboo_leases", true, TimeSpan.FromSeconds(24), 4), settings);
    }

    [Theory]
    [InlineData("0.25", 3000)]
    [InlineData("3s", 3000)]
    [InlineData("0", 0)]
    public void Should_read_the_safety_margin_as_a_fraction_of_heartbeat_timeout_or_a_duration(string margin, int expectedMilliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), Settings($"safety-margin = \"{margin}\"").SafetyMargin);

    [Theory]
    [InlineData("safety-margin = 1.0")]
    [InlineData("safety-margin = 30s")]
    [InlineData("heartbeat-interval = 10s, lease-operation-timeout = 15s")] // no time left to renew before the validity ends
    [InlineData("table-name = \"leases; DROP TABLE journal\"")]
    [InlineData("provider = mysql")]
    [InlineData("connection-string = \"\"")]
    [InlineData("max-concurrent-operations = 0")]
    public void Should_refuse_settings_that_cannot_work(string hocon) =>
        Assert.Throws<ArgumentException>(() => Settings(hocon));

    private static SqlLeaseSettings Settings(string hocon)
    {
        var config = ConfigurationFactory.ParseString(hocon)
            .WithFallback(ConfigurationFactory.ParseString("connection-string = \"Data Source=leases.db\""))
            .WithFallback(BambooConfig.Lease.GetConfig(SqlLeaseHocon.ConfigPath))
            .WithFallback(LeaseProvider.DefaultConfig().GetConfig("akka.coordination.lease"));
        return SqlLeaseSettings.Create(LeaseSettings.Create(config, "lease", "owner"));
    }
}
