namespace Dialogs.Cluster;

/// <summary>A PostgreSQL node as the coordinator reaches it: "host:port", "host" (port 5432) or "[v6 address]:port".</summary>
public sealed record NodeAddress(string Host, int Port)
{
    public const int DefaultPort = 5432;

    public static NodeAddress Parse(string value)
    {
        var text = value.Trim();
        var (host, port) = text.StartsWith('[') && text.IndexOf(']') is var close and > 0
            ? (text[1..close], text[(close + 1)..].TrimStart(':'))
            : text.Split(':') is [var name, var number] ? (name, number) : (text, "");
        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"'{value}' is not host:port: the host is missing or has spaces.");
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
