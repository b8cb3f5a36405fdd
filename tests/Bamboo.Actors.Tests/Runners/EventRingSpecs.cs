using Bamboo.Actors.Runners;
using CsCheck;

namespace Bamboo.Actors.Tests.Runners;

public sealed class EventRingSpecs
{
    [Fact]
    public void Should_be_empty_when_created()
    {
        Assert.Equal(0, new EventRing<string>(10).Count);
    }

    [Fact]
    public void Should_keep_nothing_with_zero_capacity()
    {
        var ring = new EventRing<string>(0);

        ring.Add("a");
        ring.Add("b");

        Assert.Equal(0, ring.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    public void Should_keep_items_in_insertion_order_while_growing_to_its_capacity(int capacity)
    {
        var ring = new EventRing<string>(capacity);

        for (var i = 0; i < capacity; i++)
        {
            ring.Add($"e{i}");
            Assert.Equal(i + 1, ring.Count);
            Assert.Equal(Enumerable.Range(0, i + 1).Select(n => $"e{n}"), Contents(ring));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    public void Should_evict_the_oldest_item_once_full(int capacity)
    {
        var ring = new EventRing<string>(capacity);

        for (var i = 0; i < capacity * 3 + 1; i++)
        {
            ring.Add($"e{i}");
            var kept = Math.Min(i + 1, capacity);
            Assert.Equal(kept, ring.Count);
            Assert.Equal(Enumerable.Range(i + 1 - kept, kept).Select(n => $"e{n}"), Contents(ring));
        }
    }

    [Fact]
    public void Should_always_hold_the_newest_items_up_to_its_capacity_in_order()
    {
        Gen.Select(Gen.Int[0, 40], Gen.Int[0, 150]).Sample((capacity, adds) =>
        {
            var ring = new EventRing<string>(capacity);
            for (var i = 0; i < adds; i++) ring.Add(i.ToString());
            var kept = Math.Min(adds, capacity);
            return Contents(ring).SequenceEqual(Enumerable.Range(adds - kept, kept).Select(n => n.ToString()));
        }, iter: 500);
    }

    [Fact]
    public void Should_keep_the_same_item_instances()
    {
        var ring = new EventRing<object>(2);
        var first = new object();
        var second = new object();

        ring.Add(first);
        ring.Add(second);

        Assert.Same(first, ring[0]);
        Assert.Same(second, ring[1]);
    }

    private static List<T> Contents<T>(EventRing<T> ring) where T : class
    {
        var items = new List<T>(ring.Count);
        for (var i = 0; i < ring.Count; i++) items.Add(ring[i]);
        return items;
    }
}
