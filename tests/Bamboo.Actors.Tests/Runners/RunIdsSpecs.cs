using Bamboo.Actors.Runners;

namespace Bamboo.Actors.Tests.Runners;

public sealed class RunIdsSpecs
{
    [Fact]
    public void Should_make_distinct_rfc4122_version_4_uuids_across_random_blocks()
    {
        var ids = Enumerable.Range(0, 1_000).Select(_ => RunIds.NewV4()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids)
        {
            Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
            Assert.Equal(4, Guid.Parse(id).Version);
        }
    }
}
