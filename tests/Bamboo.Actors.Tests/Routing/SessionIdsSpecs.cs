using System.Text.RegularExpressions;
using Akka.Actor;
using Bamboo.Actors.Routing;
using CsCheck;

namespace Bamboo.Actors.Tests.Routing;

public sealed class SessionIdValidationSpecs
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Should_reject_an_empty_session_id(string? sessionId)
    {
        Assert.Equal("session id must not be empty", SessionIds.Validate(sessionId));
    }

    [Fact]
    public void Should_accept_256_characters_and_reject_257()
    {
        Assert.Null(SessionIds.Validate(new string('a', 256)));
        Assert.Equal("session id must be at most 256 characters (got 257)", SessionIds.Validate(new string('a', 257)));
    }

    [Fact]
    public void Should_count_utf16_code_units_not_text_elements()
    {
        Assert.Null(SessionIds.Validate(string.Concat(Enumerable.Repeat("😀", 128))));
        Assert.Equal("session id must be at most 256 characters (got 257)", SessionIds.Validate(new string('a', 255) + "😀"));
    }

    [Theory]
    [InlineData("\0", 0x0000, 0)]
    [InlineData("a\tb", 0x0009, 1)]
    [InlineData("line\n", 0x000A, 4)]
    [InlineData("\r", 0x000D, 0)]
    [InlineData("x\u001f", 0x001F, 1)]
    [InlineData("del\u007f", 0x007F, 3)]
    [InlineData("\u0080", 0x0080, 0)]
    [InlineData("n\u0085l", 0x0085, 1)]
    [InlineData("\u009f", 0x009F, 0)]
    public void Should_reject_control_characters(string sessionId, int codePoint, int index)
    {
        Assert.Equal($"session id must not contain control characters (U+{codePoint:X4} at {index})", SessionIds.Validate(sessionId));
    }

    // UTF-16 code units, because xunit cannot carry strings holding lone surrogates through test discovery intact.
    [Theory]
    [InlineData(new[] { 0xD83D }, 0)]
    [InlineData(new[] { 'a', 'b', 0xD83D }, 2)]
    [InlineData(new[] { 0xDE00 }, 0)]
    [InlineData(new[] { 'a', 0xDE00, 'b' }, 1)]
    [InlineData(new[] { 'a', 0xD83D, 'b' }, 1)]
    [InlineData(new[] { 0xDE00, 0xD83D }, 0)]
    [InlineData(new[] { 0xD83D, 0xD83D, 0xDE00 }, 0)]
    [InlineData(new[] { 0xD83D, 0xDE00, 0xDE00 }, 2)]
    public void Should_reject_unpaired_surrogates(int[] codeUnits, int index)
    {
        var sessionId = new string(codeUnits.Select(unit => (char)unit).ToArray());

        Assert.Equal($"session id must be valid text (unpaired surrogate at {index})", SessionIds.Validate(sessionId));
    }

    [Theory]
    [InlineData("😀")]
    [InlineData("a😀b")]
    [InlineData("👩‍💻")]
    [InlineData("𝔘𝔫𝔦𝔠𝔬𝔡𝔢")]
    [InlineData("a/b")]
    [InlineData("$x")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(" ")]
    [InlineData("with space")]
    [InlineData("%")]
    [InlineData("%41")]
    [InlineData("Session")]
    [InlineData("session")]
    [InlineData("\u00a0")]
    [InlineData("\u200b")]
    [InlineData("\u2028")]
    [InlineData("\ufeff")]
    [InlineData("\uffff")]
    public void Should_accept_any_other_text(string sessionId)
    {
        Assert.Null(SessionIds.Validate(sessionId));
    }

    [Fact]
    public void Should_accept_exactly_the_single_characters_that_are_neither_control_nor_surrogate()
    {
        for (var c = char.MinValue; ; c++)
        {
            var expectedValid = !char.IsControl(c) && !char.IsSurrogate(c);
            Assert.True(expectedValid == SessionIds.Validate(c.ToString()) is null, $"U+{(int)c:X4}");
            if (c == char.MaxValue) break;
        }
    }
}

public sealed class SessionEntityIdSpecs
{
    private static readonly Regex EntityIdShape = new("^(?:[A-Za-z0-9_~-]|%[0-9A-F]{2})+$", RegexOptions.CultureInvariant);

    /// <summary>Valid session ids mixing plain ASCII, URL-significant punctuation, escapes, BMP text and astral
    /// characters (surrogate pairs).</summary>
    private static readonly Gen<string> ValidSessionIds = Gen.Frequency(
            (6, Gen.Char['a', 'z'].Select(c => c.ToString())),
            (2, Gen.Char['A', 'Z'].Select(c => c.ToString())),
            (2, Gen.Char['0', '9'].Select(c => c.ToString())),
            (4, Gen.OneOf("-", "_", "~", ".", "..", "%", "%2E", "%25", "/", "\\", "$", " ", "+", "?", "#", "&", "=", ":", "@", "'", "\"")),
            (3, Gen.Char['\u00a0', '\ud7ff'].Select(c => c.ToString())),
            (1, Gen.Char['\ue000', '\uffff'].Select(c => c.ToString())),
            (2, Gen.Int[0x10000, 0x10FFFF].Select(char.ConvertFromUtf32)))
        .Array[1, 60]
        .Select(parts => string.Concat(parts))
        .Where(id => SessionIds.Validate(id) is null);

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("A-Z_0~9", "A-Z_0~9")]
    [InlineData(".", "%2E")]
    [InlineData("..", "%2E%2E")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("$x", "%24x")]
    [InlineData("a b", "a%20b")]
    [InlineData("%41", "%2541")]
    [InlineData("é", "%C3%A9")]
    [InlineData("😀", "%F0%9F%98%80")]
    public void Should_keep_plain_characters_and_percent_encode_everything_else_as_utf8(string sessionId, string entityId)
    {
        Assert.Equal(entityId, SessionIds.ToEntityId(sessionId));
        Assert.Equal(sessionId, SessionIds.FromEntityId(entityId));
    }

    [Fact]
    public void Should_keep_case_variants_apart()
    {
        Assert.NotEqual(SessionIds.ToEntityId("Session"), SessionIds.ToEntityId("session"));
        Assert.NotEqual(SessionIds.ToEntityId("É"), SessionIds.ToEntityId("é"));
    }

    [Fact]
    public void Should_round_trip_every_valid_single_code_point()
    {
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF) continue;
            var sessionId = char.ConvertFromUtf32(codePoint);
            if (SessionIds.Validate(sessionId) is not null) continue;
            var entityId = SessionIds.ToEntityId(sessionId);
            if (SessionIds.FromEntityId(entityId) != sessionId || !EntityIdShape.IsMatch(entityId))
                Assert.Fail($"U+{codePoint:X4} maps to '{entityId}'");
        }
    }

    [Fact]
    public void Should_round_trip_generated_valid_session_ids()
    {
        ValidSessionIds.Sample(id => SessionIds.FromEntityId(SessionIds.ToEntityId(id)) == id, iter: 3000);
    }

    [Fact]
    public void Should_produce_only_unreserved_ascii_and_uppercase_escapes()
    {
        ValidSessionIds.Sample(id =>
        {
            var entityId = SessionIds.ToEntityId(id);
            return EntityIdShape.IsMatch(entityId) && !entityId.Contains('.') && entityId is not "." and not "..";
        }, iter: 3000);
    }

    [Fact]
    public void Should_produce_valid_actor_names()
    {
        ValidSessionIds.Sample(id => ActorPath.IsValidPathElement(SessionIds.ToEntityId(id)), iter: 3000);
    }

    [Fact]
    public void Should_map_distinct_session_ids_to_distinct_entity_ids()
    {
        // Near-collisions: case variants, the id's own escaped forms, and a dot-prefixed variant.
        ValidSessionIds.Sample(id =>
        {
            var variants = new[]
                {
                    id, id.ToUpperInvariant(), id.ToLowerInvariant(), SessionIds.ToEntityId(id), Uri.EscapeDataString(id), "." + id,
                }
                .Where(v => SessionIds.Validate(v) is null)
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            return variants.Select(SessionIds.ToEntityId).Distinct(StringComparer.Ordinal).Count() == variants.Length;
        }, iter: 2000);
    }

    [Fact]
    public void Should_map_distinct_generated_pairs_to_distinct_entity_ids()
    {
        Gen.Select(ValidSessionIds, ValidSessionIds).Sample((a, b) =>
            (a == b) == (SessionIds.ToEntityId(a) == SessionIds.ToEntityId(b)), iter: 2000);
    }

    [Fact]
    public void Should_leave_plain_ids_unchanged()
    {
        Gen.Char["abcXYZ0129-_~"].Array[1, 40].Select(chars => new string(chars))
            .Sample(id => SessionIds.ToEntityId(id) == id, iter: 500);
    }
}
