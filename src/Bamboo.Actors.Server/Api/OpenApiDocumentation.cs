using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Bamboo.Actors.Server.Api;

/// <summary>
/// What the generated OpenAPI document cannot see by itself: its title; <c>GET /metrics</c>, which the Prometheus
/// exporter maps as a plain endpoint (no route handler to describe); the path parameters a handler reads through
/// <see cref="SessionPath"/> rather than binds; the <c>Idempotency-Key</c> header of the starts.
/// </summary>
internal sealed class OpenApiDocumentation : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var path = context.Description.RelativePath ?? "";
        operation.Parameters ??= [];
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length < 3 || segment[0] != '{' || segment[^1] != '}') continue;
            var name = segment[1..^1];
            if (operation.Parameters.Any(p => p.Name == name && p.In == ParameterLocation.Path)) continue;
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Description = name == "id" ? "The session id: one percent-encoded path segment" : null,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        if (context.Description.HttpMethod == "POST" && (path.EndsWith("/runs", StringComparison.Ordinal) || path.EndsWith("/reservations", StringComparison.Ordinal)))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = SessionEndpoints.IdempotencyKeyHeader,
                In = ParameterLocation.Header,
                Description = "A retry with the same key and body within 24 h gets the original answer; another body gets 422 (at most 128 printable ASCII characters)",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 128 },
            });
        }
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Bamboo.Actors";
        document.Info.Description = "Agent runs for chat sessions: managed runs, external workers, event streams, run history.";
        document.Paths ??= new OpenApiPaths();
        document.Paths["/metrics"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    Summary = "Prometheus metrics (the Bamboo.Actors meter and ASP.NET Core's)",
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse
                        {
                            Description = "Prometheus text exposition",
                            Content = new Dictionary<string, OpenApiMediaType> { ["text/plain"] = new() },
                        },
                    },
                },
            },
        };
        return Task.CompletedTask;
    }
}
