using System.Text.Json.Serialization;
using Scalar.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>JSON settings and the OpenAPI document.</summary>
public static class ApiExtensions
{
    /// <summary>camelCase JSON without nulls; the OpenAPI document.</summary>
    public static IServiceCollection AddSignalingApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddOpenApi();
        return services;
    }

    /// <summary><c>/openapi/v1.json</c> always; a browsable UI at <c>/scalar</c> in Development.</summary>
    public static WebApplication MapSignalingApi(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference();
        }

        return app;
    }
}
