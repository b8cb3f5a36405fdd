using BenchmarkDotNet.Attributes;
using Bamboo.Actors.Routing;
using static Bamboo.Actors.Protocol.RunnerCommands;

namespace Bamboo.Actors.Benchmarks.Micro;

/// <summary>Routing: the message extractor (every command, local and sharded) and entity-id encoding.</summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private const string Plain = "session-0123456789";
    private const string Odd = "Team a/b: ünïcode ✓ 😀 $x..";
    private static readonly string LongPlain = new('s', 256);
    private readonly SessionMessageExtractor _extractor = new();
    private readonly GetStatus _plainMessage = new(Plain);
    private readonly GetStatus _oddMessage = new(Odd);
    private readonly string _plainEntityId = SessionIds.ToEntityId(Plain);
    private readonly string _oddEntityId = SessionIds.ToEntityId(Odd);

    /// <summary>Entity id of a command on a plain session id (returned as is).</summary>
    [Benchmark(Baseline = true)]
    public string? EntityIdPlain() => _extractor.EntityId(_plainMessage);

    /// <summary>Entity id of a command on an id that needs escaping.</summary>
    [Benchmark]
    public string? EntityIdOdd() => _extractor.EntityId(_oddMessage);

    /// <summary>Shard id of a command on a plain session id, from its entity id (what a shard region asks after EntityId).</summary>
    [Benchmark]
    public string ShardIdPlain() => _extractor.ShardId(_plainEntityId, _plainMessage);

    /// <summary>Shard id of a command on an id that needs escaping, from its entity id.</summary>
    [Benchmark]
    public string ShardIdOdd() => _extractor.ShardId(_oddEntityId, _oddMessage);

    /// <summary>Encoding a plain id.</summary>
    [Benchmark]
    public string ToEntityIdPlain() => SessionIds.ToEntityId(Plain);

    /// <summary>Encoding a 256-character plain id (the longest accepted).</summary>
    [Benchmark]
    public string ToEntityIdLongPlain() => SessionIds.ToEntityId(LongPlain);

    /// <summary>Encoding an id with slashes, spaces, non-ASCII and emoji.</summary>
    [Benchmark]
    public string ToEntityIdOdd() => SessionIds.ToEntityId(Odd);
}
