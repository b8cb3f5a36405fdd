using System.Buffers;
using System.Text;

namespace Bamboo.Actors.Routing;

/// <summary>
/// Session id rules and the injective mapping from a session id to an actor-name-safe entity id.
/// </summary>
public static class SessionIds
{
    /// <summary>Longest accepted session id, in UTF-16 code units (.NET string length).</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// Returns why <paramref name="sessionId"/> is not acceptable, or null when it is. Rejected: null or empty, longer
    /// than <see cref="MaxLength"/>, control characters, and unpaired surrogates (not text). Everything else —
    /// <c>a/b</c>, <c>$x</c>, <c>..</c>, spaces, emoji, ids that differ only by case — is a distinct, valid id.
    /// </summary>
    public static string? Validate(string? sessionId)
    {
        if (string.IsNullOrEmpty(sessionId)) return "session id must not be empty";
        if (sessionId.Length > MaxLength) return $"session id must be at most {MaxLength} characters (got {sessionId.Length})";
        for (var i = 0; i < sessionId.Length; i++)
        {
            var c = sessionId[i];
            if (char.IsControl(c)) return $"session id must not contain control characters (U+{(int)c:X4} at {i})";
            if (char.IsHighSurrogate(c) && i + 1 < sessionId.Length && char.IsLowSurrogate(sessionId[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return $"session id must be valid text (unpaired surrogate at {i})";
        }
        return null;
    }

    /// <summary>
    /// The entity id (and local child actor name) of a session: ASCII letters, digits, <c>-</c>, <c>_</c> and <c>~</c>
    /// stay; every other character is percent-encoded as UTF-8 (so <c>.</c> and <c>..</c> never reach a path and case
    /// variants never collide). Injective for valid ids; <see cref="FromEntityId"/> inverts it.
    /// </summary>
    public static string ToEntityId(string sessionId)
    {
        var firstEscaped = sessionId.AsSpan().IndexOfAnyExcept(PlainChars);
        if (firstEscaped < 0) return sessionId;

        // At most 9 characters per input character (3 UTF-8 bytes, each %XX); ids up to MaxLength fit on the stack.
        var worstCase = sessionId.Length * 9;
        char[]? rented = null;
        var buffer = worstCase <= MaxLength * 9 ? stackalloc char[MaxLength * 9] : (rented = ArrayPool<char>.Shared.Rent(worstCase));
        sessionId.AsSpan(0, firstEscaped).CopyTo(buffer);
        var written = firstEscaped;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = firstEscaped; i < sessionId.Length; i++)
        {
            var c = sessionId[i];
            if (IsPlain(c)) { buffer[written++] = c; continue; }
            var length = char.IsHighSurrogate(c) && i + 1 < sessionId.Length
                ? Encoding.UTF8.GetBytes(sessionId.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(sessionId.AsSpan(i, 1), utf8);
            for (var b = 0; b < length; b++)
            {
                buffer[written++] = '%';
                buffer[written++] = HexDigits[utf8[b] >> 4];
                buffer[written++] = HexDigits[utf8[b] & 0xF];
            }
        }
        var entityId = new string(buffer[..written]);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        return entityId;
    }

    /// <summary>The session id of an entity id made by <see cref="ToEntityId"/>.</summary>
    public static string FromEntityId(string entityId) => Uri.UnescapeDataString(entityId);

    private const string HexDigits = "0123456789ABCDEF";

    private static readonly SearchValues<char> PlainChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~");

    private static bool IsPlain(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '~';
}
