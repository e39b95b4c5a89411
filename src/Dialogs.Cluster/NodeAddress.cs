using System.Diagnostics.CodeAnalysis;

namespace Dialogs.Cluster;

/// <summary>A PostgreSQL node as the coordinator reaches it: "host:port", "host" (port 5432) or "[v6 address]:port".</summary>
public sealed record NodeAddress(string Host, int Port)
{
    public const int DefaultPort = 5432;

    /// <summary>The longest node name Citus keeps (pg_dist_node); a longer one is refused by the coordinator itself.</summary>
    public const int MaxHostLength = 255;

    /// <summary>
    /// Whether <paramref name="host"/> can name a node at all: 1..255 characters, none of them a space or a control
    /// character (which no host name or address has, and a NUL PostgreSQL cannot even store).
    /// </summary>
    public static bool IsValidHost([NotNullWhen(true)] string? host) =>
        host is { Length: > 0 and <= MaxHostLength } && !host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

    public static NodeAddress Parse(string value)
    {
        var text = value.Trim();
        var (host, port) = text.StartsWith('[') && text.IndexOf(']') is var close and > 0
            ? (text[1..close], text[(close + 1)..].TrimStart(':'))
            : text.Split(':') is [var name, var number] ? (name, number) : (text, "");
        if (!IsValidHost(host))
        {
            throw new FormatException(
                $"'{value}' is not host:port: the host is missing, longer than {MaxHostLength} characters, or has spaces or control characters.");
        }

        if (port.Length == 0)
        {
            return new NodeAddress(host, DefaultPort);
        }

        return int.TryParse(port, out var parsed) && parsed is >= 1 and <= 65535
            ? new NodeAddress(host, parsed)
            : throw new FormatException($"'{value}' is not host:port: the port must be a number from 1 to 65535.");
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
