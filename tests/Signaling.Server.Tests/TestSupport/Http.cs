using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Signaling.Server.Tests.TestSupport;

/// <summary>Calls of the invitation API and checks of its answers, on the wire format (JSON as sent).</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, object? body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request, TestContext.Current.CancellationToken).WithTimeout();
    }

    public static Task<HttpResponseMessage> PostRaw(this HttpClient client, string path, string body, string contentType = "application/json")
        => client.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType), TestContext.Current.CancellationToken).WithTimeout();

    public static Task<HttpResponseMessage> Get(this HttpClient client, string path)
        => client.GetAsync(path, TestContext.Current.CancellationToken).WithTimeout();

    /// <summary>POST /v1/invitations, expecting 201; returns the body.</summary>
    public static async Task<JsonElement> SendInvitation(this HttpClient client, params string[] invitees)
        => await client.SendInvitation(new { invitees });

    public static async Task<JsonElement> SendInvitation(this HttpClient client, object body)
    {
        using var response = await client.PostJson("/v1/invitations", body);
        return await response.Expect(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> Accept(this HttpClient client, string invitationId, string? deviceId = null, string? extendedData = null)
        => client.PostJson($"/v1/invitations/{invitationId}/accept", new { deviceId, extendedData });

    public static Task<HttpResponseMessage> Refuse(this HttpClient client, string invitationId, string? deviceId = null, string? reason = null)
        => client.PostJson($"/v1/invitations/{invitationId}/refuse", new { deviceId, reason });

    public static Task<HttpResponseMessage> Cancel(this HttpClient client, string invitationId, object? body = null)
        => client.PostJson($"/v1/invitations/{invitationId}/cancel", body ?? new { });

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonElement> Expect(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).WithTimeout();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {status}, got {(int)response.StatusCode} {response.StatusCode}: {text}");
        return response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true
            ? JsonDocument.Parse(text).RootElement.Clone()
            : default;
    }

    /// <summary>
    /// Asserts an RFC 9457 problem: the status, <c>application/problem+json</c>, <c>status</c>, <c>title</c>,
    /// <c>type</c> and the stable <c>code</c>. Returns the body for further checks.
    /// </summary>
    public static async Task<JsonElement> ExpectProblem(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var problem = await response.Expect(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    /// <summary>Asserts a problem about an existing invitation: it names the invitation, its state and version.</summary>
    public static async Task<JsonElement> ExpectInvitationProblem(
        this HttpResponseMessage response, HttpStatusCode status, string code, string invitationId, string state, long? version = null)
    {
        var problem = await response.ExpectProblem(status, code);
        Assert.Equal(invitationId, problem.GetProperty("invitationId").GetString());
        Assert.Equal(state, problem.GetProperty("state").GetString());
        var actual = problem.GetProperty("version").GetInt64();
        Assert.True(actual >= 1, $"version {actual}");
        if (version is not null)
        {
            Assert.Equal(version, actual);
        }

        return problem;
    }

    /// <summary>The field names of <c>errors</c> in an invalid_parameter problem.</summary>
    public static string[] ErrorFields(this JsonElement problem)
        => [.. problem.GetProperty("errors").EnumerateObject().Select(p => p.Name)];

    public static string Str(this JsonElement element, string name) => element.GetProperty(name).GetString()!;
}
