using Dialogs.Cluster;

namespace Dialogs.Tests.Cluster;

/// <summary>
/// A node's address as operators type it (the migrator's verbs and configuration, the admin endpoints' paths): one
/// reading or a clear refusal, never a guess at what an odd one meant.
/// </summary>
public sealed class NodeAddressTests
{
    [Theory]
    [InlineData("worker-1", "worker-1", 5432)]
    [InlineData("worker-1:6000", "worker-1", 6000)]
    [InlineData("citus_worker.internal:5432", "citus_worker.internal", 5432)]
    [InlineData("10.0.0.5:6432", "10.0.0.5", 6432)]
    [InlineData("[::1]:5433", "::1", 5433)]
    [InlineData("[fe80::1%eth0]", "fe80::1%eth0", 5432)]
    public void An_address_reads_as_its_host_and_port(string text, string host, int port)
    {
        var address = NodeAddress.Parse(text);

        Assert.Equal(new NodeAddress(host, port), address);
        Assert.Equal(address, NodeAddress.Parse(address.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("worker-1:")] // a colon and no port: not the default port
    [InlineData("worker-1:+1")]
    [InlineData("worker-1: 1")]
    [InlineData("worker-1:0")]
    [InlineData("worker-1:65536")]
    [InlineData("worker-1:5432x")]
    [InlineData(":5432")]
    [InlineData("a:b:c")]
    [InlineData("::1")] // an IPv6 address without brackets: which colon starts the port?
    [InlineData("fe80::1:5432")]
    [InlineData("[::1")]
    [InlineData("[::1]junk")]
    [InlineData("[::1]::5")]
    [InlineData("[worker-1]:5")] // brackets hold an IPv6 address
    [InlineData("[not:an:address]:5")]
    [InlineData("a]b:5")]
    [InlineData("a/b:5")]
    [InlineData(" worker-1:5")]
    [InlineData("worker 1")]
    public void Anything_else_is_refused_with_the_forms_it_takes(string text)
    {
        var refusal = Assert.Throws<FormatException>(() => NodeAddress.Parse(text));

        Assert.Contains("[IPv6 address]:port", refusal.Message);
    }

    [Fact]
    public void A_host_is_at_most_255_characters()
    {
        Assert.Equal(NodeAddress.MaxHostLength, NodeAddress.Parse(new string('w', NodeAddress.MaxHostLength)).Host.Length);
        Assert.Throws<FormatException>(() => NodeAddress.Parse(new string('w', NodeAddress.MaxHostLength + 1)));
    }
}
