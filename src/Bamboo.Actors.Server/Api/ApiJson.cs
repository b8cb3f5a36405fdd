using System.Text.Json;

namespace Bamboo.Actors.Server.Api;

/// <summary>JSON conventions of the API: camelCase names, lower-case status strings, every field present.</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
