using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Dialogs.Cluster;

/// <summary>A PostgreSQL node as the coordinator reaches it: "host:port", "host" (port 5432) or "[IPv6 address]:port".</summary>
public sealed record NodeAddress(string Host, int Port)
{
    public const int DefaultPort = 5432;

    /// <summary>The longest node name Citus keeps (pg_dist_node); a longer one is refused by the coordinator itself.</summary>
    public const int MaxHostLength = 255;

    private static readonly string Forms = $"Give host:port, host (port {DefaultPort}) or [IPv6 address]:port.";

    /// <summary>
    /// The letters of host names (RFC 1123, and the '_' of container names), IPv4 addresses, and IPv6 ones with a
    /// zone: nothing a connection string or a URL would read differently.
    /// </summary>
    private static readonly SearchValues<char> HostCharacters =
        SearchValues.Create("-.0123456789:%ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

    /// <summary>
    /// Whether <paramref name="host"/> can name a node: 1..255 characters of a host name or an IP address, and one with
    /// ':' (or a zone's '%') an IPv6 address that parses as one.
    /// </summary>
    public static bool IsValidHost([NotNullWhen(true)] string? host) =>
        host is { Length: > 0 and <= MaxHostLength }
        && !host.AsSpan().ContainsAnyExcept(HostCharacters)
        && (!host.AsSpan().ContainsAny(':', '%')
            || IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6);

    /// <exception cref="FormatException">Not one of the three forms; the message says which they are.</exception>
    public static NodeAddress Parse(string value)
    {
        var (host, port) = Split(value);
        // An IPv6 address only in brackets, where it cannot be misread: in "fe80::1:5432" any colon could start the port.
        if (!IsValidHost(host) || host.Contains(':') != value.StartsWith('['))
        {
            throw new FormatException(
                $"'{value}' is not a node's address: its host is missing, longer than {MaxHostLength} characters, or neither a host name nor an IP address. {Forms}");
        }

        if (port is null)
        {
            return new NodeAddress(host, DefaultPort);
        }

        // Digits only: int.Parse would also take a sign or white space.
        return port.Length is > 0 and <= 5 && !port.AsSpan().ContainsAnyExceptInRange('0', '9')
               && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535 and var number
            ? new NodeAddress(host, number)
            : throw new FormatException($"'{value}' is not a node's address: its port must be a number from 1 to 65535. {Forms}");
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>The host, and the text after the colon that ends it (null without one); a null host when brackets do not close.</summary>
    private static (string? Host, string? Port) Split(string value)
    {
        if (!value.StartsWith('['))
        {
            var colon = value.IndexOf(':');
            return colon < 0 ? (value, null) : (value[..colon], value[(colon + 1)..]);
        }

        var close = value.IndexOf(']');
        return close < 0 ? (null, null)
            : close == value.Length - 1 ? (value[1..close], null)
            : value[close + 1] == ':' ? (value[1..close], value[(close + 2)..])
            : (null, null);
    }
}
