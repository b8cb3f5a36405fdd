using System.Security.Cryptography;

namespace Bamboo.Actors.Runners;

/// <summary>
/// Run ids: random (version 4) UUID strings, as <see cref="Guid.NewGuid"/> makes them, drawn from the cryptographic
/// generator in blocks. <see cref="Guid.NewGuid"/> asks the kernel for 16 bytes per call on Linux (a system call per
/// run); a block of 16 ids costs one request.
/// </summary>
internal static class RunIds
{
    private const int IdsPerBlock = 16;

    [ThreadStatic] private static byte[]? t_block;
    [ThreadStatic] private static int t_next;

    /// <summary>A new random UUID v4 in the <c>D</c> format (<c>xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx</c>).</summary>
    public static string NewV4()
    {
        var block = t_block ??= new byte[IdsPerBlock * 16];
        if (t_next == 0) RandomNumberGenerator.Fill(block);
        var bytes = block.AsSpan(t_next, 16);
        t_next = (t_next + 16) % block.Length;

        // The same bits Guid.NewGuid sets: version 4 in the top nibble of the third group, RFC 4122 variant (10xx).
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var id = new Guid(bytes);
        bytes.Clear(); // used randomness does not linger in memory
        return id.ToString();
    }
}
