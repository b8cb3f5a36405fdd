using System.Text.Json;
using Bamboo.Actors.Server.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Bamboo.Actors.Server.Api;

/// <summary>
/// A request's JSON object body, read and checked by hand so every kind of bad input gets its own 4xx code:
/// 413 (over the limit), 415 (not JSON), 400 (malformed, not an object, a field of the wrong type or value).
/// </summary>
internal sealed class JsonBody
{
    // Duplicate names make a body ambiguous ({"agent":"echo","agent":"sleep"}): refuse them.
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    private readonly JsonElement _root;

    private JsonBody(JsonElement root) => _root = root;

    /// <summary>The first problem found while reading fields; check it once after reading them all.</summary>
    public IResult? Error { get; private set; }

    /// <summary>An empty object, for an endpoint whose body is optional and absent.</summary>
    public static JsonBody Empty { get; } = new(JsonDocument.Parse("{}").RootElement);

    public static async Task<(JsonBody? Body, IResult? Error)> ReadAsync(HttpContext context, bool required)
    {
        var request = context.Request;
        var limit = context.RequestServices.GetRequiredService<IOptions<BambooServerOptions>>().Value.MaxBodyBytes;
        if (request.ContentLength > limit) return (null, TooLarge(limit));

        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (!hasBody)
            return required ? (null, ApiResults.BadRequest("missing_body", "a JSON object body is required")) : (Empty, null);
        if (!IsJson(request.ContentType))
            return (null, ApiResults.Error(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "the body must be application/json"));

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = limit;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, StrictJson, context.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, ApiResults.BadRequest("invalid_body", $"the body must be a JSON object, not {Describe(document.RootElement.ValueKind)}"));
            return (new JsonBody(document.RootElement.Clone()), null);
        }
        catch (JsonException exception)
        {
            return (null, ApiResults.BadRequest("invalid_json", exception.Message));
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
        catch (BadHttpRequestException exception)
        {
            // The body's framing broke off: it ended before its Content-Length, or a chunk was malformed.
            return (null, ApiResults.Error(exception.StatusCode, "bad_request", exception.Message));
        }
    }

    public string? String(string name, bool required = false)
    {
        if (!Field(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            Fail("invalid_field", $"'{name}' must be a string, not {Describe(value.ValueKind)}");
            return null;
        }
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // The parser checks structure; a string's bytes are only decoded here.
            Fail("invalid_json", $"'{name}' is not valid UTF-8");
            return null;
        }
    }

    public long? Integer(string name, bool required = false, long min = 0, long max = long.MaxValue)
    {
        if (!Field(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            Fail("invalid_field", $"'{name}' must be an integer, not {Describe(value.ValueKind)}");
            return null;
        }
        if (number < min)
        {
            Fail("invalid_value", $"'{name}' must be at least {min}");
            return null;
        }
        if (number > max)
        {
            Fail("invalid_value", $"'{name}' must be at most {max}");
            return null;
        }
        return number;
    }

    /// <summary>Any JSON value but null, as it was sent.</summary>
    public JsonElement? Value(string name) => Field(name, required: false, out var value) ? value : null;

    /// <summary>A JSON object field, as it was sent.</summary>
    public JsonElement? Object(string name)
    {
        if (!Field(name, required: false, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Object) return value;
        Fail("invalid_field", $"'{name}' must be an object, not {Describe(value.ValueKind)}");
        return null;
    }

    /// <summary>A string field that must be one of <paramref name="values"/> (exactly, lower case).</summary>
    public T? OneOf<T>(string name, string code, IReadOnlyDictionary<string, T> values, bool required = false) where T : struct
    {
        var text = String(name, required);
        if (text is null) return null;
        if (values.TryGetValue(text, out var value)) return value;
        Fail(code, $"'{name}' must be one of {string.Join(", ", values.Keys)}; got '{text}'");
        return null;
    }

    /// <summary>A string field that must be one of <paramref name="values"/> (exactly, lower case).</summary>
    public string? OneOf(string name, string code, IReadOnlySet<string> values, bool required = false)
    {
        var text = String(name, required);
        if (text is null || values.Contains(text)) return text;
        Fail(code, $"'{name}' must be one of {string.Join(", ", values)}; got '{text}'");
        return null;
    }

    public void Fail(string code, string detail) => Error ??= ApiResults.BadRequest(code, detail);

    private bool Field(string name, bool required, out JsonElement value)
    {
        if (_root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null) return true;
        if (required) Fail("missing_field", $"'{name}' is required");
        return false;
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    private static IResult TooLarge(long limit) =>
        ApiResults.Error(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"the body must be at most {limit} bytes");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
