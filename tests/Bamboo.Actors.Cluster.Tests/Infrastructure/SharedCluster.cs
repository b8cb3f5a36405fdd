using Xunit.Abstractions;

namespace Bamboo.Actors.Cluster.Tests.Infrastructure;

/// <summary>A 3-node cluster started once for every test of a class or collection (each test uses fresh session ids).</summary>
public abstract class ClusterFixture(ClusterProfile profile, IMessageSink diagnostics) : IAsyncLifetime
{
    /// <summary>The cluster.</summary>
    public TestCluster Cluster { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() =>
        Cluster = await TestCluster.StartAsync(3, profile, line => diagnostics.OnMessage(new Xunit.Sdk.DiagnosticMessage(line)));

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

/// <summary>The cluster of the scenarios that leave it as they found it.</summary>
public sealed class SharedClusterFixture(IMessageSink diagnostics) : ClusterFixture(ClusterProfile.Stable, diagnostics);

/// <summary>The scenarios that share <see cref="SharedClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedClusterFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "shared 3-node cluster";
}

/// <summary>A scenario on the shared cluster.</summary>
[Collection(SharedClusterCollection.Name)]
public abstract class SharedClusterSpec(SharedClusterFixture fixture, ITestOutputHelper output) : FixtureClusterSpec(fixture, output);

/// <summary>A scenario on the cluster of a <see cref="ClusterFixture"/>.</summary>
public abstract class FixtureClusterSpec(ClusterFixture fixture, ITestOutputHelper output) : ClusterSpec(output)
{
    /// <inheritdoc />
    protected override TestCluster Cluster => fixture.Cluster;
}

/// <summary>A scenario with a 3-node cluster of its own, started before and stopped after each test.</summary>
public abstract class OwnClusterSpec(ITestOutputHelper output, ClusterProfile profile) : ClusterSpec(output), IAsyncLifetime
{
    private TestCluster? _cluster;

    /// <inheritdoc />
    protected override TestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not started.");

    /// <inheritdoc />
    public async Task InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(3, profile, Note);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
