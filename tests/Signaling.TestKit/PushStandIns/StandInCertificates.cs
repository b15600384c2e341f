using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Signaling.TestKit.PushStandIns;

/// <summary>A throw-away CA and a 127.0.0.1 server certificate it signed, made once per test run.</summary>
public static class StandInCertificates
{
    private static readonly Lazy<(X509Certificate2 Authority, X509Certificate2 Server)> Pair = new(Create);

    public static X509Certificate2 Authority => Pair.Value.Authority;

    public static X509Certificate2 Server => Pair.Value.Server;

    /// <summary>
    /// Makes a client trust the test CA for this handler only; the host name is still checked and nothing else is
    /// trusted. (SSL_CERT_FILE cannot be used: OpenSSL reads it at process start, before the test made the CA.)
    /// </summary>
    public static void TrustTestAuthority(SocketsHttpHandler handler)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(Authority);
        handler.SslOptions ??= new SslClientAuthenticationOptions();
        handler.SslOptions.CertificateChainPolicy = policy;
    }

    private static (X509Certificate2, X509Certificate2) Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Signaling.Push test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var authority = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = serverRequest.Create(authority, now.AddHours(-1), now.AddDays(1), serial);
        var server = signed.CopyWithPrivateKey(serverKey);
        return (authority, server);
    }
}
