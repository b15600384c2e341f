using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Signaling.Push.Apns;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Apns;

public sealed class ApnsTokenProviderTests : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ManualTimeProvider _time = new();
    private readonly ApnsTokenProvider _tokens;

    public ApnsTokenProviderTests()
    {
        var options = new ApnsOptions { KeyId = "KEY1234567", TeamId = "TEAM765432", PrivateKey = _key.ExportPkcs8PrivateKeyPem() };
        _tokens = new ApnsTokenProvider(Microsoft.Extensions.Options.Options.Create(options), _time, NullLogger<ApnsTokenProvider>.Instance);
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _key.Dispose();
    }

    [Fact]
    public void The_token_is_an_ES256_JWT_with_kid_iss_and_iat()
    {
        Assert.True(Jwt.TryParse(_tokens.GetToken(), out var jwt));

        Assert.Equal("ES256", jwt.HeaderString("alg"));
        Assert.Equal("KEY1234567", jwt.HeaderString("kid"));
        Assert.Equal("TEAM765432", jwt.ClaimString("iss"));
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), jwt.ClaimNumber("iat"));
        Assert.Equal(64, jwt.Signature.Length);
        Assert.True(_key.VerifyData(jwt.SigningInput, jwt.Signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Age_decides_renewal()
    {
        var first = _tokens.GetToken();
        _time.Advance(TimeSpan.FromMinutes(50) - TimeSpan.FromTicks(1));
        Assert.Equal(first, _tokens.GetToken());

        _time.Advance(TimeSpan.FromTicks(1));
        var second = _tokens.GetToken();

        Assert.NotEqual(first, second);
        Assert.Equal(second, _tokens.GetToken());
    }

    [Fact]
    public async Task Concurrent_callers_share_one_token()
    {
        var tokens = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(_tokens.GetToken, TestContext.Current.CancellationToken))).Bounded();

        Assert.Single(tokens.Distinct());
    }

    [Fact]
    public void Renew_replaces_the_rejected_token_once()
    {
        var rejected = _tokens.GetToken();
        _time.Advance(TimeSpan.FromSeconds(1));

        var renewed = _tokens.Renew(rejected);
        var renewedAgain = _tokens.Renew(rejected);

        Assert.NotEqual(rejected, renewed);
        Assert.Equal(renewed, renewedAgain);
        Assert.Equal(renewed, _tokens.GetToken());
    }
}

public sealed class ApnsOriginTests
{
    public static TheoryData<string?, string, bool?, string> Cases => new()
    {
        { null, "Production", null, "https://api.push.apple.com/" },
        { null, "Production", true, "https://api.sandbox.push.apple.com/" },
        { null, "Sandbox", null, "https://api.sandbox.push.apple.com/" },
        { null, "Sandbox", false, "https://api.push.apple.com/" },
        { "https://127.0.0.1:8443", "Production", null, "https://127.0.0.1:8443/" },
        { "https://127.0.0.1:8443", "Production", true, "https://127.0.0.1:8443/" },
        { "https://127.0.0.1:8443", "Sandbox", false, "https://127.0.0.1:8443/" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Endpoint_environment_and_device_sandbox_pick_the_origin(string? endpoint, string environment, bool? deviceSandbox, string expected)
    {
        var options = new ApnsOptions
        {
            Endpoint = endpoint is null ? null : new Uri(endpoint),
            Environment = Enum.Parse<ApnsEnvironment>(environment),
        };

        Assert.Equal(expected, ApnsClient.ResolveOrigin(options, deviceSandbox).ToString());
    }
}
