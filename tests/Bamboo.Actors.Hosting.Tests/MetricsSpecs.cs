using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Bamboo.Actors.Client;
using Bamboo.Actors.Diagnostics;
using Bamboo.Actors.Events;
using Bamboo.Actors.Protocol;

namespace Bamboo.Actors.Hosting.Tests;

/// <summary>The meter is process-wide: measure with no other spec running.</summary>
[CollectionDefinition(nameof(MetricsSpecs), DisableParallelization = true)]
public sealed class MetricsCollection;

[Collection(nameof(MetricsSpecs))]
public sealed class MetricsSpecs : BambooHostingSpec, IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, long Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MetricsSpecs(ITestOutputHelper output) : base(output)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BambooMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tagMap = new Dictionary<string, object?>();
            foreach (var tag in tags) tagMap[tag.Key] = tag.Value;
            _measurements.Enqueue((instrument.Name, value, tagMap));
        });
        _listener.Start();
    }

    [Fact]
    public async Task Should_measure_runs_conflicts_events_and_live_sessions()
    {
        var session = $"metrics-{Guid.NewGuid()}";
        await using (var lease = await Client.ReserveAsync(session, cancellationToken: TestTimeout()))
        {
            await using var conflict = await Client.ReserveAsync(session, cancellationToken: TestTimeout());
            await using var queued = await Client.ReserveAsync(session, new ReserveOptions { OnConflict = ConflictPolicy.Enqueue }, TestTimeout());
            await lease.PublishAsync(new TokenDelta("x"));
            await lease.CompleteAsync();
            await queued.WhenStarted.WaitAsync(TestTimeout());
            await queued.FailAsync(new Exception("nope"));
        }

        await AwaitAssertAsync(() =>
        {
            Assert.Equal(2, Sum("bamboo.runs.started"));
            Assert.Equal(1, Sum("bamboo.runs.finished", ("status", "completed")));
            Assert.Equal(1, Sum("bamboo.runs.finished", ("status", "error")));
            Assert.Equal(0, Sum("bamboo.runs.active"));
            Assert.Equal(1, Sum("bamboo.reserve.conflicts", ("policy", "reject"), ("outcome", "already_running")));
            Assert.Equal(1, Sum("bamboo.reserve.conflicts", ("policy", "enqueue"), ("outcome", "queued")));
            Assert.Equal(1, Sum("bamboo.events.published", ("type", "token_delta")));
            Assert.True(Sum("bamboo.sessions.live") >= 1);
            return Task.CompletedTask;
        });
    }

    public void Dispose() => _listener.Dispose();

    private long Sum(string name, params (string Key, string Value)[] tags) =>
        _measurements.Where(m => m.Name == name && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Sum(m => m.Value);
}
