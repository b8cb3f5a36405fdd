using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Bamboo.Actors.Sharding;
using Xunit;

namespace Bamboo.Actors.Tests.Sharding;

/// <summary>
/// A shard rebalanced away from a region is not allocated straight back to it (Akka's backup <c>ShardStopped</c> would
/// then deallocate the shard that region has just started again, and a second region would host it too).
/// </summary>
public sealed class RebalanceAwareAllocationStrategySpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly IActorRef _a;
    private readonly IActorRef _b;
    private readonly IActorRef _c;
    private readonly ScriptedStrategy _inner = new();
    private DateTime _now = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    private readonly HashSet<IActorRef> _down = [];
    private readonly RebalanceAwareAllocationStrategy _strategy;

    public RebalanceAwareAllocationStrategySpecs()
    {
        _a = CreateTestProbe("a").Ref;
        _b = CreateTestProbe("b").Ref;
        _c = CreateTestProbe("c").Ref;
        _strategy = new RebalanceAwareAllocationStrategy(_inner, () => _now) { IsServing = region => !_down.Contains(region) };
    }

    private IImmutableDictionary<IActorRef, IImmutableList<string>> Allocations(params (IActorRef Region, string[] Shards)[] regions) =>
        regions.ToImmutableDictionary(region => region.Region, region => (IImmutableList<string>)region.Shards.ToImmutableList());

    [Fact]
    public async Task Should_allocate_a_shard_just_rebalanced_away_from_a_region_to_another_region()
    {
        _inner.Rebalanced = ["7"];
        var before = Allocations((_a, ["7", "8", "9"]), (_b, ["1"]), (_c, ["2", "3"]));
        Assert.Equal(["7"], await _strategy.Rebalance(before, ImmutableHashSet<string>.Empty));

        // The wrapped strategy would put it back on a: it goes to the least loaded other region instead.
        _inner.Chosen = _a;
        var after = Allocations((_a, ["8", "9"]), (_b, ["1"]), (_c, ["2", "3"]));
        Assert.Equal(_b, await _strategy.AllocateShard(_a, "7", after));
    }

    [Fact]
    public async Task Should_keep_the_wrapped_strategys_choice_when_it_is_another_region()
    {
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7", "8"]), (_b, [])), ImmutableHashSet<string>.Empty);

        _inner.Chosen = _c;
        Assert.Equal(_c, await _strategy.AllocateShard(_a, "7", Allocations((_a, ["8"]), (_b, []), (_c, ["1"]))));
    }

    [Fact]
    public async Task Should_avoid_the_former_region_for_the_first_allocation_after_the_rebalance_only()
    {
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7"]), (_b, [])), ImmutableHashSet<string>.Empty);
        _inner.Chosen = _a;
        Assert.Equal(_b, await _strategy.AllocateShard(_a, "7", Allocations((_a, []), (_b, []))));

        // Later allocations (the shard moved on again, its node came back) are the wrapped strategy's.
        Assert.Equal(_a, await _strategy.AllocateShard(_a, "7", Allocations((_a, []), (_b, ["7"]))));
    }

    [Fact]
    public async Task Should_leave_other_shards_to_the_wrapped_strategy()
    {
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7", "8"]), (_b, [])), ImmutableHashSet<string>.Empty);

        _inner.Chosen = _a;
        Assert.Equal(_a, await _strategy.AllocateShard(_b, "8", Allocations((_a, ["8"]), (_b, []))));
        Assert.Equal(_a, await _strategy.AllocateShard(_b, "42", Allocations((_a, ["8"]), (_b, []))));
    }

    [Fact]
    public async Task Should_put_the_shard_back_when_no_other_region_serves()
    {
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7"]), (_b, [])), ImmutableHashSet<string>.Empty);
        _down.Add(_b);

        _inner.Chosen = _a;
        Assert.Equal(_a, await _strategy.AllocateShard(_a, "7", Allocations((_a, []), (_b, []))));
    }

    [Fact]
    public async Task Should_put_the_shard_back_when_it_is_the_only_region()
    {
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7"])), ImmutableHashSet<string>.Empty);

        _inner.Chosen = _a;
        Assert.Equal(_a, await _strategy.AllocateShard(_a, "7", Allocations((_a, []))));
    }

    [Fact]
    public async Task Should_forget_the_former_region_after_a_while()
    {
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7"]), (_b, [])), ImmutableHashSet<string>.Empty);
        _now += RebalanceAwareAllocationStrategy.Memory + TimeSpan.FromSeconds(1);

        _inner.Chosen = _a;
        Assert.Equal(_a, await _strategy.AllocateShard(_a, "7", Allocations((_a, ["7"]), (_b, []))));
    }

    [Fact]
    public async Task Should_not_remember_shards_whose_rebalance_was_already_in_progress()
    {
        // The wrapped strategy may name a shard the coordinator is already moving; the coordinator skips it.
        _inner.Rebalanced = ["7"];
        await _strategy.Rebalance(Allocations((_a, ["7"]), (_b, [])), ImmutableHashSet.Create("7"));

        _inner.Chosen = _a;
        Assert.Equal(_a, await _strategy.AllocateShard(_a, "7", Allocations((_a, []), (_b, []))));
    }

    private sealed class ScriptedStrategy : IShardAllocationStrategy
    {
        public IActorRef Chosen { get; set; } = ActorRefs.Nobody;

        public string[] Rebalanced { get; set; } = [];

        public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations) =>
            Task.FromResult(Chosen);

        public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
            Task.FromResult<IImmutableSet<string>>(Rebalanced.ToImmutableHashSet());
    }
}
