using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Signaling.Server.Ice;

namespace Signaling.Server.Tests.Ice;

public class TurnCredentialsTests
{
    internal static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // The expected credential was computed once, independently of this code, with
    //   printf '%s' "1700000000:alice" | openssl dgst -sha1 -hmac "coturn-shared-secret" -binary | base64
    [Fact]
    public void Credentials_follow_the_turn_rest_scheme()
    {
        var (username, credential) = TurnCredentials.Create("coturn-shared-secret", "alice", DateTimeOffset.FromUnixTimeSeconds(1700000000));

        Assert.Equal("1700000000:alice", username);
        Assert.Equal("eaPAufPBtzKyTlFFj8/AobPZBvg=", credential);
    }

    [Fact]
    public void Expiry_is_now_plus_the_configured_ttl()
    {
        var options = new IceOptions { TurnSecret = "coturn-shared-secret", TurnTtl = 600 };
        options.TurnUrls.Add("turn:turn.example.com:3478");
        var provider = new IceServerProvider(Options.Create(options), new FixedTime(Now));

        var answer = provider.GetFor("carol");

        var turn = Assert.Single(answer.IceServers);
        Assert.Equal($"{Now.ToUnixTimeSeconds() + 600}:carol", turn.Username);
        Assert.Equal(TurnCredentials.Create("coturn-shared-secret", "carol", Now.AddSeconds(600)).Credential, turn.Credential);
        Assert.Equal(600, answer.Ttl);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_turn_entry_without_a_secret(string? secret)
    {
        var options = new IceOptions { TurnSecret = secret };
        options.TurnUrls.Add("turn:turn.example.com:3478");
        options.StunUrls.Add("stun:stun.example.com:3478");

        var answer = new IceServerProvider(Options.Create(options), TimeProvider.System).GetFor("alice");

        var stun = Assert.Single(answer.IceServers);
        Assert.Equal(["stun:stun.example.com:3478"], stun.Urls);
        Assert.Null(stun.Username);
        Assert.Null(stun.Credential);
    }

    [Fact]
    public void No_turn_entry_without_urls()
    {
        var options = new IceOptions { TurnSecret = "coturn-shared-secret" };

        Assert.Empty(new IceServerProvider(Options.Create(options), TimeProvider.System).GetFor("alice").IceServers);
    }

    [Theory]
    [InlineData("Ice:StunUrls:0", "http://stun.example.com")]
    [InlineData("Ice:StunUrls:0", "turn:turn.example.com")]
    [InlineData("Ice:TurnUrls:0", "stun:stun.example.com")]
    [InlineData("Ice:TurnUrls:0", "turn:")]
    [InlineData("Ice:TurnTtl", "10")]
    [InlineData("Ice:TurnSecret", "   ")]
    public void Bad_settings_fail_at_start(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSignalingIceServers().BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(key.Split(':')[1], error.Message);
    }

    [Fact]
    public void Good_settings_pass()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ice:StunUrls:0"] = "stun:stun.example.com:3478",
            ["Ice:TurnUrls:0"] = "turn:turn.example.com:3478?transport=udp",
            ["Ice:TurnUrls:1"] = "turns:turn.example.com:5349",
            ["Ice:TurnSecret"] = "coturn-shared-secret",
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSignalingIceServers().BuildServiceProvider();

        services.GetRequiredService<IStartupValidator>().Validate();
        var options = services.GetRequiredService<IOptions<IceOptions>>().Value;
        Assert.True(options.HasTurn);
        Assert.Equal(86400, options.TurnTtl);
    }
}

/// <summary>A clock that stands still; timers still run on real time.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
