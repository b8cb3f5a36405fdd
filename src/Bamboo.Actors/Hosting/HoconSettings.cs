using System.Globalization;
using System.Text;

namespace Bamboo.Actors.Hosting;

/// <summary>Writes option values as HOCON settings, only for the values that were set.</summary>
internal static class HoconSettings
{
    /// <summary>Appends <c>path = {milliseconds}ms</c> when <paramref name="value"/> is set.</summary>
    public static StringBuilder AppendSetting(this StringBuilder hocon, string path, TimeSpan? value) => value is { } span
        ? hocon.Append(path).Append(" = ").Append(((long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)).AppendLine("ms")
        : hocon;

    /// <summary>Appends <c>path = {number}</c> when <paramref name="value"/> is set.</summary>
    public static StringBuilder AppendSetting(this StringBuilder hocon, string path, int? value) => value is { } number
        ? hocon.Append(path).Append(" = ").AppendLine(number.ToString(CultureInfo.InvariantCulture))
        : hocon;
}
