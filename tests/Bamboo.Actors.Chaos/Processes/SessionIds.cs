namespace Bamboo.Actors.Chaos.Processes;

/// <summary>The sessions of a run: valid ids of every awkward kind (slash, space, emoji, percent, case variants), then plain ones.</summary>
public static class SessionIds
{
    private static readonly string[] Unusual =
    [
        "a/b", "with space", "emoji 🎋 bamboo", "ünïcødé", "$x", "Case", "case", "100%", "q?x=1&y=2", "hash#tag", "plus+sign",
        "semi;colon", "dot.ted", "back\\slash",
    ];

    /// <summary><paramref name="count"/> distinct session ids, about a third of them unusual.</summary>
    public static IReadOnlyList<string> For(int count)
    {
        var unusual = Math.Min(Unusual.Length, Math.Max(1, count / 3));
        return Unusual.Take(unusual).Concat(Enumerable.Range(1, Math.Max(0, count - unusual)).Select(i => $"session-{i:D2}")).ToArray();
    }
}
