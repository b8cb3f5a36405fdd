using System.Text;
using Bamboo.Actors.Routing;
using CsCheck;

namespace Bamboo.Actors.Tests.Routing;

public sealed class SessionEntityIdEncodingSpecs
{
    [Theory]
    [InlineData("session-1_~", "session-1_~")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("..", "%2E%2E")]
    [InlineData("%2F", "%252F")]
    [InlineData("é", "%C3%A9")]
    [InlineData("名前", "%E5%90%8D%E5%89%8D")]
    [InlineData("🎋 x", "%F0%9F%8E%8B%20x")]
    public void Should_percent_encode_every_character_but_unreserved_ascii(string sessionId, string entityId) =>
        Assert.Equal(entityId, SessionIds.ToEntityId(sessionId));

    [Fact]
    public void Should_encode_any_valid_id_as_the_utf8_percent_encoding_and_decode_it_back()
    {
        var piece = Gen.OneOf(
            Gen.Char.AlphaNumeric.Select(c => c.ToString()),
            Gen.Char["-_~./ %$#?&=+"].Select(c => c.ToString()),
            Gen.Char['\u00a0', '\u07ff'].Select(c => c.ToString()),
            Gen.Char['\u0800', '\ud7ff'].Select(c => c.ToString()),
            Gen.Int[0x10000, 0x10FFFF].Select(char.ConvertFromUtf32));
        piece.Array[1, 40].Select(string.Concat).Sample(sessionId =>
        {
            Assert.Null(SessionIds.Validate(sessionId));
            var entityId = SessionIds.ToEntityId(sessionId);
            Assert.Equal(Reference(sessionId), entityId);
            Assert.Equal(sessionId, SessionIds.FromEntityId(entityId));
        });
    }

    // The encoding spelled out plainly: unreserved ASCII stays, every other character becomes %XX per UTF-8 byte.
    private static string Reference(string sessionId)
    {
        var text = new StringBuilder();
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in sessionId.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '-' or '_' or '~'))
            {
                text.Append((char)rune.Value);
                continue;
            }
            var length = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < length; b++) text.Append('%').Append(utf8[b].ToString("X2"));
        }
        return text.ToString();
    }
}
