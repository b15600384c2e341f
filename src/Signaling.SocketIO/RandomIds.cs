using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Signaling.SocketIO;

/// <summary>Unguessable ids: 120 random bits as 20 base64url characters (the form of Node's engine.io sids).</summary>
internal static class RandomIds
{
    public static string New()
    {
        Span<byte> random = stackalloc byte[15];
        RandomNumberGenerator.Fill(random);
        Span<byte> encoded = stackalloc byte[20];
        Base64Url.EncodeToUtf8(random, encoded);
        return Encoding.ASCII.GetString(encoded);
    }
}
